/**
 * The bounded store of skipped message keys (spec section 3.2, MKSKIPPED). Keys are
 * indexed by (ratchet public key, counter) and evicted oldest-first past
 * MAX_SKIPPED_KEYS_TOTAL. A key is removed when used, so each message decrypts once.
 */
import { toHex } from '../bytes';
import { wipe } from '../crypto/primitives';
import { MAX_SKIPPED_KEYS_TOTAL } from './constants';

export interface SkippedKey {
  readonly ratchetKey: Uint8Array;
  readonly counter: number;
  readonly messageKey: Uint8Array;
}

function indexOf(ratchetKey: Uint8Array, counter: number): string {
  return `${toHex(ratchetKey)}:${counter}`;
}

export class SkippedMessageKeys {
  // Map keeps insertion order, which is the eviction order.
  private readonly keys = new Map<string, SkippedKey>();

  get size(): number {
    return this.keys.size;
  }

  find(ratchetKey: Uint8Array, counter: number): SkippedKey | undefined {
    return this.keys.get(indexOf(ratchetKey, counter));
  }

  /** Removes and wipes the key once its message decrypted. */
  consume(entry: SkippedKey): void {
    this.keys.delete(indexOf(entry.ratchetKey, entry.counter));
    wipe(entry.messageKey);
  }

  addAll(entries: readonly SkippedKey[]): void {
    for (const e of entries) this.keys.set(indexOf(e.ratchetKey, e.counter), e);
    while (this.keys.size > MAX_SKIPPED_KEYS_TOTAL) {
      const oldest = this.keys.keys().next().value as string;
      wipe(this.keys.get(oldest)?.messageKey);
      this.keys.delete(oldest);
    }
  }

  entries(): IterableIterator<SkippedKey> {
    return this.keys.values();
  }

  wipeAll(): void {
    for (const e of this.keys.values()) wipe(e.messageKey);
    this.keys.clear();
  }
}
