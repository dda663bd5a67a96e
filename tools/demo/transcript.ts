/** The demo's readable transcript on stdout: sections, sends with their sizes, deliveries. */
import type { WireSend } from './wiretap';

const started = Date.now();

function stamp(): string {
  return `+${((Date.now() - started) / 1000).toFixed(2).padStart(6)}s`;
}

export const transcript = {
  section(title: string): void {
    process.stdout.write(`\n== ${title}\n`);
  },
  line(text: string): void {
    process.stdout.write(`${stamp()}  ${text}\n`);
  },
  detail(text: string): void {
    process.stdout.write(`${' '.repeat(10)}${text}\n`);
  },
  /** The ciphertexts one send put on the wire. */
  wire(sends: readonly WireSend[]): void {
    for (const send of sends) {
      if (send.kind === 'sender-key') {
        const bytes = send.envelopes[0]?.bytes ?? 0;
        this.detail(
          `wire: ONE sender-key ciphertext of ${bytes} B, fanned out by the server to ${send.recipients} device(s)`,
        );
      } else {
        const parts = send.envelopes.map((e) => `${e.to} ${e.type} ${e.bytes} B`).join(', ');
        this.detail(`wire: ${send.envelopes.length} pairwise envelope(s): ${parts}`);
      }
    }
  },
};
