/**
 * ParleyStore over a byte-record backend: each kind of state is one named record, encoded
 * as JSON with byte fields in base64. The memory store and the encrypted file store differ
 * only in their backend.
 */
import { base64ToBytes, bytesToBase64 } from '@parley/contracts';
import type { DeviceAddress } from '../addresses';
import { StoreCorruptError } from '../errors';
import type { GroupRecord, IdentityRecord, InboxRecord, ParleyStore, PreKeysRecord } from './store';

export interface RecordBackend {
  read(name: string): Promise<Uint8Array | undefined>;
  write(name: string, bytes: Uint8Array): Promise<void>;
  remove(name: string): Promise<void>;
}

/** How many processed message ids are remembered (duplicates come within minutes, not days). */
export const PROCESSED_IDS_KEPT = 1000;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function encodeJson(value: unknown): Uint8Array {
  return encoder.encode(
    JSON.stringify(value, (_key, v: unknown) =>
      v instanceof Uint8Array ? { $b64: bytesToBase64(v) } : v,
    ),
  );
}

// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the caller names the record's type
function decodeJson<T>(name: string, bytes: Uint8Array): T {
  try {
    return JSON.parse(decoder.decode(bytes), (_key, v: unknown) => {
      if (v && typeof v === 'object' && '$b64' in v) {
        return base64ToBytes((v as { $b64: string }).$b64);
      }
      return v;
    }) as T;
  } catch {
    throw new StoreCorruptError(`store record ${name} is not valid`);
  }
}

const sessionName = (p: DeviceAddress) => `session/${p.userId}/${p.deviceId}`;
const senderKeyName = (g: string, s: DeviceAddress) => `sender-key/${g}/${s.userId}/${s.deviceId}`;

export class RecordStore implements ParleyStore {
  private processed: string[] | undefined;
  private processedSet = new Set<string>();

  constructor(protected readonly backend: RecordBackend) {}

  private async readJson<T>(name: string): Promise<T | undefined> {
    const bytes = await this.backend.read(name);
    return bytes === undefined ? undefined : decodeJson<T>(name, bytes);
  }

  private writeJson(name: string, value: unknown): Promise<void> {
    return this.backend.write(name, encodeJson(value));
  }

  loadIdentity(): Promise<IdentityRecord | undefined> {
    return this.readJson<IdentityRecord>('identity');
  }
  saveIdentity(identity: IdentityRecord): Promise<void> {
    return this.writeJson('identity', identity);
  }

  loadPreKeys(): Promise<PreKeysRecord | undefined> {
    return this.readJson<PreKeysRecord>('prekeys');
  }
  savePreKeys(preKeys: PreKeysRecord): Promise<void> {
    return this.writeJson('prekeys', preKeys);
  }

  loadSession(peer: DeviceAddress): Promise<Uint8Array | undefined> {
    return this.backend.read(sessionName(peer));
  }
  saveSession(peer: DeviceAddress, record: Uint8Array): Promise<void> {
    return this.backend.write(sessionName(peer), record);
  }
  deleteSession(peer: DeviceAddress): Promise<void> {
    return this.backend.remove(sessionName(peer));
  }

  loadSenderKey(groupId: string, sender: DeviceAddress): Promise<Uint8Array | undefined> {
    return this.backend.read(senderKeyName(groupId, sender));
  }
  saveSenderKey(groupId: string, sender: DeviceAddress, record: Uint8Array): Promise<void> {
    return this.backend.write(senderKeyName(groupId, sender), record);
  }
  deleteSenderKey(groupId: string, sender: DeviceAddress): Promise<void> {
    return this.backend.remove(senderKeyName(groupId, sender));
  }

  loadGroup(groupId: string): Promise<GroupRecord | undefined> {
    return this.readJson<GroupRecord>(`group/${groupId}`);
  }
  async saveGroup(group: GroupRecord): Promise<void> {
    await this.writeJson(`group/${group.groupId}`, group);
    const ids = await this.listGroupIds();
    if (!ids.includes(group.groupId)) await this.writeJson('groups', [...ids, group.groupId]);
  }
  async listGroupIds(): Promise<string[]> {
    return (await this.readJson<string[]>('groups')) ?? [];
  }

  loadInbox(messageId: string): Promise<InboxRecord | undefined> {
    return this.readJson<InboxRecord>(`inbox/${messageId}`);
  }
  saveInbox(messageId: string, record: InboxRecord): Promise<void> {
    return this.writeJson(`inbox/${messageId}`, record);
  }
  deleteInbox(messageId: string): Promise<void> {
    return this.backend.remove(`inbox/${messageId}`);
  }

  private async processedIds(): Promise<string[]> {
    if (!this.processed) {
      this.processed = (await this.readJson<string[]>('processed')) ?? [];
      this.processedSet = new Set(this.processed);
    }
    return this.processed;
  }
  async isProcessed(messageId: string): Promise<boolean> {
    await this.processedIds();
    return this.processedSet.has(messageId);
  }
  async markProcessed(messageId: string): Promise<void> {
    const ids = await this.processedIds();
    if (this.processedSet.has(messageId)) return;
    ids.push(messageId);
    this.processedSet.add(messageId);
    while (ids.length > PROCESSED_IDS_KEPT) this.processedSet.delete(ids.shift() as string);
    await this.writeJson('processed', ids);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
