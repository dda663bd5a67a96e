/**
 * A persistent store for Node: one file per record in a directory, each sealed with the
 * protocol's at-rest AEAD under the app's 32-byte key (record name as associated data),
 * file names opaque (an HMAC of the record name), every write atomic (temp file, fsync,
 * rename), so a crash leaves either the old or the new record, never half of one.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  AT_REST_KEY_BYTES,
  atRestRecordId,
  DecodeError,
  DecryptionError,
  initProtocol,
  openAtRest,
  sealAtRest,
} from '@parley/protocol';
import { InvalidArgumentError, StoreCorruptError, StoreKeyError } from '../lib/errors';
import type { RecordBackend } from '../lib/store/record-store';
import { RecordStore } from '../lib/store/record-store';

const KEY_CHECK_RECORD = 'store-key-check';
const KEY_CHECK_CONTENT = new TextEncoder().encode('parley-store-v1');

class EncryptedFileBackend implements RecordBackend {
  constructor(
    private readonly dir: string,
    private readonly key: Uint8Array,
  ) {}

  private path(name: string): string {
    // The key check has a fixed file name: a wrong key must find it, and fail to open it.
    if (name === KEY_CHECK_RECORD) return join(this.dir, 'key-check.rec');
    return join(this.dir, `${atRestRecordId(this.key, name)}.rec`);
  }

  async read(name: string): Promise<Uint8Array | undefined> {
    let sealed: Uint8Array;
    try {
      sealed = new Uint8Array(await readFile(this.path(name)));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    try {
      return openAtRest(this.key, name, sealed);
    } catch (error) {
      if (error instanceof DecryptionError) {
        throw new StoreKeyError(
          `store record ${name} does not open with this key (wrong key or tampered)`,
        );
      }
      if (error instanceof DecodeError)
        throw new StoreCorruptError(`store record ${name} is malformed`);
      throw error;
    }
  }

  async write(name: string, bytes: Uint8Array): Promise<void> {
    const target = this.path(name);
    const temp = `${target}.${randomBytes(6).toString('hex')}.tmp`;
    const handle = await open(temp, 'w', 0o600);
    try {
      await handle.writeFile(sealAtRest(this.key, name, bytes));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, target);
  }

  async remove(name: string): Promise<void> {
    await rm(this.path(name), { force: true });
  }
}

export class FileStore extends RecordStore {
  private constructor(backend: RecordBackend) {
    super(backend);
  }

  /**
   * Opens (or creates) the store in `dir`. Throws StoreKeyError when `key` is not the key
   * the store was created with.
   */
  static async open(dir: string, key: Uint8Array): Promise<FileStore> {
    if (!(key instanceof Uint8Array) || key.length !== AT_REST_KEY_BYTES) {
      throw new InvalidArgumentError(`the store key must be ${AT_REST_KEY_BYTES} bytes`);
    }
    await initProtocol();
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const backend = new EncryptedFileBackend(dir, key.slice());
    const check = await backend.read(KEY_CHECK_RECORD);
    if (check === undefined) await backend.write(KEY_CHECK_RECORD, KEY_CHECK_CONTENT);
    return new FileStore(backend);
  }
}
