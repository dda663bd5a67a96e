/** A small hand-written SVG line chart: latency percentiles against offered load. */

export interface Series {
  readonly label: string;
  readonly color: string;
  readonly points: readonly { readonly x: number; readonly y: number }[];
}

export interface ChartOptions {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  /** A horizontal reference line (e.g. the 100 ms knee threshold). */
  readonly threshold?: { readonly y: number; readonly label: string };
  readonly width?: number;
  readonly height?: number;
}

const escape = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Round axis maximum: 1, 2 or 5 times a power of ten at or above `v`. */
export function niceCeil(v: number): number {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

export function lineChartSvg(series: readonly Series[], o: ChartOptions): string {
  const width = o.width ?? 720;
  const height = o.height ?? 420;
  const m = { left: 70, right: 150, top: 40, bottom: 55 };
  const pw = width - m.left - m.right;
  const ph = height - m.top - m.bottom;
  const all = series.flatMap((s) => s.points);
  const xMax = niceCeil(Math.max(1, ...all.map((p) => p.x)));
  const yMax = niceCeil(Math.max(1, o.threshold?.y ?? 0, ...all.map((p) => p.y)));
  const sx = (x: number) => m.left + (x / xMax) * pw;
  const sy = (y: number) => m.top + ph - (Math.min(y, yMax) / yMax) * ph;
  const fmt = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(1));
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2 - m.right / 2}" y="22" text-anchor="middle" font-size="15">${escape(o.title)}</text>`,
  ];
  for (let i = 0; i <= 5; i++) {
    const yv = (yMax * i) / 5;
    const xv = (xMax * i) / 5;
    out.push(
      `<line x1="${m.left}" x2="${m.left + pw}" y1="${sy(yv)}" y2="${sy(yv)}" stroke="#e5e5e5"/>`,
      `<text x="${m.left - 6}" y="${sy(yv) + 4}" text-anchor="end">${fmt(yv)}</text>`,
      `<line x1="${sx(xv)}" x2="${sx(xv)}" y1="${m.top + ph}" y2="${m.top + ph + 5}" stroke="black"/>`,
      `<text x="${sx(xv)}" y="${m.top + ph + 18}" text-anchor="middle">${fmt(xv)}</text>`,
    );
  }
  out.push(
    `<line x1="${m.left}" x2="${m.left}" y1="${m.top}" y2="${m.top + ph}" stroke="black"/>`,
    `<line x1="${m.left}" x2="${m.left + pw}" y1="${m.top + ph}" y2="${m.top + ph}" stroke="black"/>`,
    `<text x="${m.left + pw / 2}" y="${height - 12}" text-anchor="middle">${escape(o.xLabel)}</text>`,
    `<text transform="translate(18 ${m.top + ph / 2}) rotate(-90)" text-anchor="middle">${escape(o.yLabel)}</text>`,
  );
  if (o.threshold) {
    const y = sy(o.threshold.y);
    out.push(
      `<line x1="${m.left}" x2="${m.left + pw}" y1="${y}" y2="${y}" stroke="#999" stroke-dasharray="6 4"/>`,
      `<text x="${m.left + pw - 4}" y="${y - 5}" text-anchor="end" fill="#666">${escape(o.threshold.label)}</text>`,
    );
  }
  series.forEach((s, i) => {
    const pts = [...s.points].sort((a, b) => a.x - b.x);
    if (pts.length > 0) {
      out.push(
        `<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${pts.map((p) => `${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join(' ')}"/>`,
        ...pts.map(
          (p) => `<circle cx="${sx(p.x).toFixed(1)}" cy="${sy(p.y).toFixed(1)}" r="3" fill="${s.color}"/>`,
        ),
      );
    }
    const ly = m.top + 10 + i * 20;
    out.push(
      `<line x1="${m.left + pw + 15}" x2="${m.left + pw + 40}" y1="${ly}" y2="${ly}" stroke="${s.color}" stroke-width="2"/>`,
      `<text x="${m.left + pw + 46}" y="${ly + 4}">${escape(s.label)}</text>`,
    );
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
