/**
 * A deterministic 1:1 transcript (seeded randomness): the exact wire bytes of a short
 * conversation. The committed copy in vectors/ makes any change to the wire format or to
 * a KDF visible as a failing test; regenerate deliberately with
 * `npx tsx libs/protocol/src/test/transcript.ts > libs/protocol/src/test/vectors/session-transcript.json`.
 */
import { toHex } from '../lib/bytes';
import { encodePreKeyBundle } from '../lib/identity/prekey-bundle';
import { deterministicRandom } from '../lib/random';
import { initProtocol } from '../lib/crypto/sodium';
import { makeDevice, Pair } from './fixtures';

export interface TranscriptEntry {
  readonly from: 'alice' | 'bob';
  readonly plaintext: string;
  readonly type: 'prekey' | 'message';
  readonly body: string;
}

export interface Transcript {
  readonly source: string;
  readonly bobBundle: string;
  readonly messages: TranscriptEntry[];
}

export function makeTranscript(): Transcript {
  const random = deterministicRandom('parley-transcript-v1');
  const p = new Pair(makeDevice('alice', random), makeDevice('bob', random), random);
  const script: ['alice' | 'bob', string][] = [
    ['alice', 'Hello Bob'],
    ['alice', 'Second before reply'],
    ['bob', 'Hi Alice'],
    ['alice', 'Ratchet step'],
    ['bob', 'And another'],
  ];
  const messages = script.map(([from, text]) => {
    const m = p.send(from, text);
    if (p.receive(from === 'alice' ? 'bob' : 'alice', m) !== text) throw new Error('transcript broke');
    return { from, plaintext: text, type: m.type, body: toHex(m.body) };
  });
  return {
    source: "Parley's own implementation, deterministicRandom('parley-transcript-v1')",
    bobBundle: toHex(encodePreKeyBundle(p.bob.bundle())),
    messages,
  };
}

if (require.main === module) {
  void initProtocol().then(() => process.stdout.write(`${JSON.stringify(makeTranscript(), null, 2)}\n`));
}
