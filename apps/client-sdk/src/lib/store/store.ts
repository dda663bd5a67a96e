/**
 * What a device keeps locally, behind one interface so apps can bring their own storage
 * (IndexedDB, SQLite, a keychain...). Everything here is secret or integrity-critical:
 * implementations keep it encrypted at rest (see FileStore) or in memory only.
 */
import type { DeviceAddress } from '../addresses';

export interface IdentityRecord {
  readonly userId: string;
  readonly deviceId: number;
  /** Ed25519 identity key pair (public 32 bytes, secret 64 bytes). */
  readonly publicKey: Uint8Array;
  readonly secretKey: Uint8Array;
}

export interface StoredKeyPair {
  readonly id: number;
  readonly publicKey: Uint8Array;
  readonly privateKey: Uint8Array;
}

export interface StoredSignedPreKey extends StoredKeyPair {
  readonly signature: Uint8Array;
  readonly createdAtMs: number;
}

export interface PreKeysRecord {
  /** Newest first; older ones are kept a while for PreKeyMessages still in flight. */
  readonly signedPreKeys: readonly StoredSignedPreKey[];
  /** Private one-time prekeys not used yet (each is deleted on first use). */
  readonly oneTimePreKeys: readonly StoredKeyPair[];
  readonly nextSignedPreKeyId: number;
  readonly nextOneTimePreKeyId: number;
}

export type GroupMode = 'pairwise' | 'sender-keys';

export interface GroupRecord {
  /** Lowercase hex SHA-256 of the genesis change (the protocol's group id). */
  readonly groupId: string;
  readonly name: string;
  readonly mode: GroupMode;
  /** Sender keys: rotate our sender key after this many messages (post-compromise security). */
  readonly rotateAfterMessages?: number | undefined;
  /** The verified membership state (protocol GroupMembershipRecord bytes). */
  readonly membership: Uint8Array;
  /** False once this device was removed (or the chain stopped verifying). */
  readonly active: boolean;
  /** Sender keys: member devices ("user/device/identityHex") holding our current chain. */
  readonly senderKeyDistributedTo: readonly string[];
  /** Sender keys: a member left since our chain was made, rotate before the next send. */
  readonly senderKeyNeedsRotation: boolean;
}

/** A decrypted message not fully handled yet (kept so a crash or outage cannot lose it). */
export interface InboxRecord {
  readonly plaintext: Uint8Array;
  /** The sender's identity key as its session authenticated it. */
  readonly senderIdentityKey: Uint8Array;
}

export interface ParleyStore {
  loadIdentity(): Promise<IdentityRecord | undefined>;
  saveIdentity(identity: IdentityRecord): Promise<void>;

  loadPreKeys(): Promise<PreKeysRecord | undefined>;
  savePreKeys(preKeys: PreKeysRecord): Promise<void>;

  /** A serialized protocol SessionRecord for one peer device. */
  loadSession(peer: DeviceAddress): Promise<Uint8Array | undefined>;
  saveSession(peer: DeviceAddress, record: Uint8Array): Promise<void>;
  deleteSession(peer: DeviceAddress): Promise<void>;

  /** A serialized protocol SenderKeyRecord of `sender` (our own address: our own key). */
  loadSenderKey(groupId: string, sender: DeviceAddress): Promise<Uint8Array | undefined>;
  saveSenderKey(groupId: string, sender: DeviceAddress, record: Uint8Array): Promise<void>;
  deleteSenderKey(groupId: string, sender: DeviceAddress): Promise<void>;

  loadGroup(groupId: string): Promise<GroupRecord | undefined>;
  saveGroup(group: GroupRecord): Promise<void>;
  listGroupIds(): Promise<string[]>;

  /** Decrypted, not yet handled messages, by server message id. */
  loadInbox(messageId: string): Promise<InboxRecord | undefined>;
  saveInbox(messageId: string, record: InboxRecord): Promise<void>;
  deleteInbox(messageId: string): Promise<void>;

  /** Server message ids already handled (bounded: the most recent ones). */
  isProcessed(messageId: string): Promise<boolean>;
  markProcessed(messageId: string): Promise<void>;

  close(): Promise<void>;
}
