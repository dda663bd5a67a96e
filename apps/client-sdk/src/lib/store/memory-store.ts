/** A store that lives and dies with the process: tests, demos, ephemeral browser sessions. */
import type { RecordBackend } from './record-store';
import { RecordStore } from './record-store';

class MemoryBackend implements RecordBackend {
  private readonly records = new Map<string, Uint8Array>();

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
  constructor() {
    super(new MemoryBackend());
  }
}
