/** A store that lives and dies with the process: tests, demos, ephemeral browser sessions. */
import type { RecordBackend } from './record-store';
import { RecordStore } from './record-store';

class MemoryBackend implements RecordBackend {
  constructor(readonly records = new Map<string, Uint8Array>()) {}

  read(name: string): Promise<Uint8Array | undefined> {
    return Promise.resolve(this.records.get(name)?.slice());
  }
  write(name: string, bytes: Uint8Array): Promise<void> {
    this.records.set(name, bytes.slice());
    return Promise.resolve();
  }
  remove(name: string): Promise<void> {
    this.records.delete(name);
    return Promise.resolve();
  }
}

export class MemoryStore extends RecordStore {
  constructor(private readonly memory = new MemoryBackend()) {
    super(memory);
  }

  /** An independent copy of everything in the store (a backup, as of now). */
  clone(): MemoryStore {
    const copy = new Map<string, Uint8Array>();
    for (const [name, bytes] of this.memory.records) copy.set(name, bytes.slice());
    return new MemoryStore(new MemoryBackend(copy));
  }
}
