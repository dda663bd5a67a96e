/**
 * The figures a run produces, printed as one table or (`--json`) as one JSON object per
 * line: `{"name","value","unit"}` plus optional context fields.
 */

export interface Figure {
  /** Stable dotted name, e.g. `one_to_one.delivered_per_s`. */
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  /** Human label for the table. */
  readonly label?: string;
  /** Target this figure is judged against, e.g. `>= 15000`. */
  readonly target?: string;
  /** Whether the target is met (absent when there is none). */
  readonly met?: boolean;
  readonly note?: string;
}

export function judge(value: number, op: '>=' | '<=', bound: number): { target: string; met: boolean } {
  return { target: `${op} ${bound}`, met: op === '>=' ? value >= bound : value <= bound };
}

export function formatValue(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  const digits = abs >= 100 || Number.isInteger(value) ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  return value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

export function jsonLines(figures: readonly Figure[]): string {
  return figures
    .map((f) =>
      JSON.stringify({
        name: f.name,
        value: Number.isFinite(f.value) ? f.value : null,
        unit: f.unit,
        ...(f.target === undefined ? {} : { target: f.target, met: f.met }),
        ...(f.note === undefined ? {} : { note: f.note }),
      }),
    )
    .join('\n');
}

/** One aligned text table: figure, value, unit, target, note. */
export function table(figures: readonly Figure[]): string {
  const rows = figures.map((f) => [
    f.label ?? f.name,
    formatValue(f.value),
    f.unit,
    f.target === undefined ? '' : `${f.target} ${f.met ? 'met' : 'MISSED'}`,
    f.note ?? '',
  ]);
  const header = ['figure', 'value', 'unit', 'target', 'note'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === 1 ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
