/**
 * A CLI home is one device: `device.json` (server, user, device number; no secrets), the
 * encrypted store in `store/`, and the store's 32-byte key. The key comes from
 * PARLEY_STORE_KEY (64 hex characters) when set, else from a key file (`store.key` in the
 * home, or --key-file) that `register` creates with mode 0600 and that every later command
 * refuses when others may read it.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { FileStore } from '../node';
import { CliError, EXIT } from './errors';

export const STORE_KEY_ENV = 'PARLEY_STORE_KEY';
const KEY_BYTES = 32;

export const DeviceConfigSchema = z.object({
  serverUrl: z.url(),
  userId: z.string().min(1),
  deviceId: z.number().int().positive(),
});
export type DeviceConfig = z.infer<typeof DeviceConfigSchema>;

export interface HomeOptions {
  readonly home?: string;
  readonly keyFile?: string;
}

export class Home {
  readonly dir: string;
  readonly keyFile: string;

  constructor(options: HomeOptions, env: NodeJS.ProcessEnv = process.env) {
    this.dir = resolve(options.home ?? env['PARLEY_HOME'] ?? join(homedir(), '.parley'));
    this.keyFile = resolve(options.keyFile ?? join(this.dir, 'store.key'));
  }

  private get configFile(): string {
    return join(this.dir, 'device.json');
  }

  async readConfig(): Promise<DeviceConfig> {
    let text: string;
    try {
      text = await readFile(this.configFile, 'utf8');
    } catch {
      throw new CliError(
        `no device in ${this.dir}: run \`parley register <userId> --server <url>\` first (or pass --home)`,
        EXIT.device,
      );
    }
    const parsed = DeviceConfigSchema.safeParse(JSON.parse(text) as unknown);
    if (!parsed.success)
      throw new CliError(`${this.configFile} is not a valid device file`, EXIT.store);
    return parsed.data;
  }

  async hasConfig(): Promise<boolean> {
    return stat(this.configFile).then(
      () => true,
      () => false,
    );
  }

  async writeConfig(config: DeviceConfig): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    await writeFile(this.configFile, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  }

  /** The store key: from the environment, or the key file (created when `create` is set). */
  async storeKey(env: NodeJS.ProcessEnv, create: boolean): Promise<Uint8Array> {
    const fromEnv = env[STORE_KEY_ENV];
    if (fromEnv) return parseKey(fromEnv, STORE_KEY_ENV);
    let info;
    try {
      info = await stat(this.keyFile);
    } catch {
      if (!create) {
        throw new CliError(
          `no store key: set ${STORE_KEY_ENV} or provide the key file ${this.keyFile}`,
          EXIT.store,
        );
      }
      return this.createKeyFile();
    }
    if ((info.mode & 0o077) !== 0) {
      const mode = (info.mode & 0o777).toString(8);
      throw new CliError(
        `the key file ${this.keyFile} may be read by others (mode ${mode}): chmod 600 it`,
        EXIT.store,
      );
    }
    return parseKey((await readFile(this.keyFile, 'utf8')).trim(), this.keyFile);
  }

  private async createKeyFile(): Promise<Uint8Array> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const key = new Uint8Array(randomBytes(KEY_BYTES));
    // 'wx': never overwrite a key some store may already be sealed with.
    const handle = await open(this.keyFile, 'wx', 0o600);
    try {
      await handle.writeFile(`${Buffer.from(key).toString('hex')}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    return key;
  }

  async openStore(env: NodeJS.ProcessEnv, create = false): Promise<FileStore> {
    const key = await this.storeKey(env, create);
    return FileStore.open(join(this.dir, 'store'), key);
  }
}

function parseKey(text: string, source: string): Uint8Array {
  if (!/^[0-9a-fA-F]{64}$/.test(text)) {
    throw new CliError(
      `${source}: the store key must be ${KEY_BYTES} bytes as 64 hex characters`,
      EXIT.store,
    );
  }
  return new Uint8Array(Buffer.from(text, 'hex'));
}
