/**
 * Progress of long operations on stderr (stdout stays for results, so `parley ... | jq`
 * works): "step... done (1.2 s)". Silent with --quiet.
 */
export class Progress {
  constructor(private readonly quiet: boolean) {}

  note(line: string): void {
    if (!this.quiet) process.stderr.write(`${line}\n`);
  }

  async step<T>(what: string, work: () => Promise<T>): Promise<T> {
    const started = performance.now();
    if (!this.quiet) process.stderr.write(`${what}... `);
    try {
      const result = await work();
      if (!this.quiet)
        process.stderr.write(`done (${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
      return result;
    } catch (error) {
      if (!this.quiet) process.stderr.write('failed\n');
      throw error;
    }
  }
}
