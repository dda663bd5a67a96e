/**
 * The same workloads on @signalapp/libsignal-client (ES-module only: loaded with a dynamic
 * import). The package ships no in-memory stores, so these minimal ones stand in: like a
 * real store they serialize every session and sender-key record they are handed (once
 * per message), and keep the live object so neither library pays a deserialize per
 * message (the Parley side keeps its live record too).
 *
 * Note what libsignal does that Parley does not: PQXDH (an ML-KEM-1024 encapsulation in
 * every setup; its bundles require a Kyber prekey) and, in 0.103, the SPQR post-quantum
 * ratchet alongside the Double Ratchet.
 */
import { randomUUID } from 'node:crypto';
import type { Runner } from './harness';
import type { LibraryBench, SessionSizes } from './workloads';
import { assertSame } from './workloads';

type LS = typeof import('@signalapp/libsignal-client');
type Address = import('@signalapp/libsignal-client').ProtocolAddress;
type SessionRecord = import('@signalapp/libsignal-client').SessionRecord;
type SenderKeyRecord = import('@signalapp/libsignal-client').SenderKeyRecord;
type PublicKey = import('@signalapp/libsignal-client').PublicKey;
type PrivateKey = import('@signalapp/libsignal-client').PrivateKey;
type IdentityKeyPair = import('@signalapp/libsignal-client').IdentityKeyPair;
type PreKeyBundle = import('@signalapp/libsignal-client').PreKeyBundle;
type CiphertextMessage = import('@signalapp/libsignal-client').CiphertextMessage;

const key = (a: Address): string => `${a.name()}.${a.deviceId()}`;

/** A device: its address, identity, prekeys, bundle and all its stores. */
interface Device {
  readonly address: Address;
  readonly identity: IdentityKeyPair;
  readonly bundle: PreKeyBundle;
  readonly sessions: SessionStoreLike;
  readonly stores: {
    identity: InstanceType<LS['IdentityKeyStore']>;
    preKeys: InstanceType<LS['PreKeyStore']>;
    signedPreKeys: InstanceType<LS['SignedPreKeyStore']>;
    kyberPreKeys: InstanceType<LS['KyberPreKeyStore']>;
  };
}

interface SessionStoreLike extends InstanceType<LS['SessionStore']> {
  readonly bytes: Map<string, Uint8Array>;
  clear(): void;
}

function storeClasses(ls: LS) {
  class Sessions extends ls.SessionStore implements SessionStoreLike {
    private readonly live = new Map<string, SessionRecord>();
    readonly bytes = new Map<string, Uint8Array>();
    async saveSession(name: Address, record: SessionRecord): Promise<void> {
      const k = key(name);
      this.bytes.set(k, record.serialize());
      this.live.set(k, record);
    }
    async getSession(name: Address): Promise<SessionRecord | null> {
      return this.live.get(key(name)) ?? null;
    }
    async getExistingSessions(addresses: Address[]): Promise<SessionRecord[]> {
      return addresses.map((a) => {
        const r = this.live.get(key(a));
        if (!r) throw new Error(`no session for ${key(a)}`);
        return r;
      });
    }
    clear(): void {
      this.live.clear();
      this.bytes.clear();
    }
  }

  class Identities extends ls.IdentityKeyStore {
    private readonly known = new Map<string, PublicKey>();
    constructor(
      private readonly ours: IdentityKeyPair,
      private readonly registrationId: number,
    ) {
      super();
    }
    async getIdentityKey(): Promise<PrivateKey> {
      return this.ours.privateKey;
    }
    async getLocalRegistrationId(): Promise<number> {
      return this.registrationId;
    }
    async saveIdentity(name: Address, k: PublicKey): Promise<import('@signalapp/libsignal-client').IdentityChange> {
      const before = this.known.get(key(name));
      this.known.set(key(name), k);
      return before && !before.equals(k) ? ls.IdentityChange.ReplacedExisting : ls.IdentityChange.NewOrUnchanged;
    }
    async isTrustedIdentity(name: Address, k: PublicKey): Promise<boolean> {
      const known = this.known.get(key(name));
      return !known || known.equals(k);
    }
    async getIdentity(name: Address): Promise<PublicKey | null> {
      return this.known.get(key(name)) ?? null;
    }
  }

  /** Prekeys are never removed: setups repeat with the same one (Parley's side too). */
  class PreKeys extends ls.PreKeyStore {
    readonly map = new Map<number, import('@signalapp/libsignal-client').PreKeyRecord>();
    async savePreKey(id: number, r: import('@signalapp/libsignal-client').PreKeyRecord): Promise<void> {
      this.map.set(id, r);
    }
    async getPreKey(id: number) {
      const r = this.map.get(id);
      if (!r) throw new Error(`no prekey ${id}`);
      return r;
    }
    async removePreKey(): Promise<void> {}
  }
  class SignedPreKeys extends ls.SignedPreKeyStore {
    readonly map = new Map<number, import('@signalapp/libsignal-client').SignedPreKeyRecord>();
    async saveSignedPreKey(id: number, r: import('@signalapp/libsignal-client').SignedPreKeyRecord): Promise<void> {
      this.map.set(id, r);
    }
    async getSignedPreKey(id: number) {
      const r = this.map.get(id);
      if (!r) throw new Error(`no signed prekey ${id}`);
      return r;
    }
  }
  /** A last-resort Kyber prekey: reusable, so marking it used is a no-op. */
  class KyberPreKeys extends ls.KyberPreKeyStore {
    readonly map = new Map<number, import('@signalapp/libsignal-client').KyberPreKeyRecord>();
    async saveKyberPreKey(id: number, r: import('@signalapp/libsignal-client').KyberPreKeyRecord): Promise<void> {
      this.map.set(id, r);
    }
    async getKyberPreKey(id: number) {
      const r = this.map.get(id);
      if (!r) throw new Error(`no kyber prekey ${id}`);
      return r;
    }
    async markKyberPreKeyUsed(): Promise<void> {}
  }

  class SenderKeys extends ls.SenderKeyStore {
    private readonly live = new Map<string, SenderKeyRecord>();
    readonly bytes = new Map<string, Uint8Array>();
    async saveSenderKey(sender: Address, distributionId: string, record: SenderKeyRecord): Promise<void> {
      const k = `${key(sender)}/${distributionId}`;
      this.bytes.set(k, record.serialize());
      this.live.set(k, record);
    }
    async getSenderKey(sender: Address, distributionId: string): Promise<SenderKeyRecord | null> {
      return this.live.get(`${key(sender)}/${distributionId}`) ?? null;
    }
  }

  return { Sessions, Identities, PreKeys, SignedPreKeys, KyberPreKeys, SenderKeys };
}

export async function libsignalBench(payload: Uint8Array<ArrayBuffer>): Promise<LibraryBench> {
  const ls: LS = await import('@signalapp/libsignal-client');
  const S = storeClasses(ls);
  let nextRegistrationId = 1;

  function makeDevice(name: string): Device {
    const identity = ls.IdentityKeyPair.generate();
    const registrationId = nextRegistrationId++;
    const address = ls.ProtocolAddress.new(name, 1);
    const preKeys = new S.PreKeys();
    const signedPreKeys = new S.SignedPreKeys();
    const kyberPreKeys = new S.KyberPreKeys();
    const pre = ls.PrivateKey.generate();
    preKeys.map.set(1, ls.PreKeyRecord.new(1, pre.getPublicKey(), pre));
    const spk = ls.PrivateKey.generate();
    const spkSig = identity.privateKey.sign(spk.getPublicKey().serialize());
    signedPreKeys.map.set(1, ls.SignedPreKeyRecord.new(1, Date.now(), spk.getPublicKey(), spk, spkSig));
    const kem = ls.KEMKeyPair.generate();
    const kemSig = identity.privateKey.sign(kem.getPublicKey().serialize());
    kyberPreKeys.map.set(1, ls.KyberPreKeyRecord.new(1, Date.now(), kem, kemSig));
    const bundle = ls.PreKeyBundle.new(
      registrationId, 1, 1, pre.getPublicKey(), 1, spk.getPublicKey(), spkSig,
      identity.publicKey, 1, kem.getPublicKey(), kemSig,
    );
    return {
      address,
      identity,
      bundle,
      sessions: new S.Sessions(),
      stores: { identity: new S.Identities(identity, registrationId), preKeys, signedPreKeys, kyberPreKeys },
    };
  }

  const encrypt = (from: Device, to: Device, plaintext: Uint8Array<ArrayBuffer>): Promise<CiphertextMessage> =>
    ls.signalEncrypt(plaintext, to.address, from.address, from.sessions, from.stores.identity);

  /** Decrypts wire bytes of the given type, as a receiver would. */
  async function decrypt(to: Device, from: Device, type: number, bytes: Uint8Array<ArrayBuffer>): Promise<Uint8Array> {
    if (type === ls.CiphertextMessageType.PreKey) {
      return ls.signalDecryptPreKey(
        ls.PreKeySignalMessage.deserialize(bytes), from.address, to.address, to.sessions,
        to.stores.identity, to.stores.preKeys, to.stores.signedPreKeys, to.stores.kyberPreKeys,
      );
    }
    return ls.signalDecrypt(ls.SignalMessage.deserialize(bytes), from.address, to.address, to.sessions, to.stores.identity);
  }

  async function message(from: Device, to: Device): Promise<void> {
    const m = await encrypt(from, to, payload);
    assertSame(await decrypt(to, from, m.type(), m.serialize()), payload);
  }

  /** Bundle -> first message -> reply, from no session at all on either side. */
  async function establish(alice: Device, bob: Device): Promise<void> {
    alice.sessions.clear();
    bob.sessions.clear();
    await ls.processPreKeyBundle(bob.bundle, bob.address, alice.address, alice.sessions, alice.stores.identity);
    await message(alice, bob);
    await message(bob, alice);
  }

  async function conversation() {
    const alice = makeDevice('alice');
    const bob = makeDevice('bob');
    await establish(alice, bob);
    return { alice, bob };
  }

  let groupFixture: { sender: Device; members: Device[] } | undefined;
  async function groupMembers(n: number) {
    if (groupFixture && groupFixture.members.length >= n) return groupFixture;
    const sender = makeDevice('sender');
    const members: Device[] = [];
    for (let i = 0; i < n; i++) {
      const m = makeDevice(`member-${String(i).padStart(4, '0')}`);
      await ls.processPreKeyBundle(m.bundle, m.address, sender.address, sender.sessions, sender.stores.identity);
      await message(sender, m);
      await message(m, sender);
      members.push(m);
    }
    groupFixture = { sender, members };
    return groupFixture;
  }

  async function senderKeyGroup(members: number) {
    const sender = ls.ProtocolAddress.new('sk-sender', 1);
    const distributionId = randomUUID();
    const own = new S.SenderKeys();
    const skdm = await ls.SenderKeyDistributionMessage.create(sender, distributionId, own);
    const wire = skdm.serialize();
    const receivers: InstanceType<typeof S.SenderKeys>[] = [];
    for (let i = 0; i < members; i++) {
      const store = new S.SenderKeys();
      await ls.processSenderKeyDistributionMessage(sender, ls.SenderKeyDistributionMessage.deserialize(wire), store);
      receivers.push(store);
    }
    return { sender, distributionId, own, receivers };
  }

  return {
    name: 'libsignal',

    async setup(): Promise<Runner> {
      const alice = makeDevice('alice');
      const bob = makeDevice('bob');
      return { run: async (n) => { for (let i = 0; i < n; i++) await establish(alice, bob); } };
    },

    async oneWay(): Promise<Runner> {
      const { alice, bob } = await conversation();
      return {
        run: async (n) => {
          const sent: CiphertextMessage[] = [];
          for (let i = 0; i < n; i++) sent.push(await encrypt(alice, bob, payload));
          for (const m of sent) assertSame(await decrypt(bob, alice, m.type(), m.serialize()), payload);
        },
      };
    },

    async pingPong(): Promise<Runner> {
      const { alice, bob } = await conversation();
      let turn = 0;
      return {
        run: async (n) => {
          for (let i = 0; i < n; i++) {
            if (turn++ % 2 === 0) await message(alice, bob);
            else await message(bob, alice);
          }
        },
      };
    },

    async senderKey(): Promise<Runner> {
      const g = await senderKeyGroup(1);
      const r = g.receivers[0]!;
      return {
        run: async (n) => {
          for (let i = 0; i < n; i++) {
            const m = await ls.groupEncrypt(g.sender, g.distributionId, g.own, payload);
            assertSame(await ls.groupDecrypt(g.sender, r, m.serialize()), payload);
          }
        },
      };
    },

    async groupPairwise(members: number): Promise<Runner> {
      const fx = await groupMembers(members);
      const recipients = fx.members.slice(0, members);
      return {
        run: async (n) => {
          for (let i = 0; i < n; i++) {
            for (const m of recipients) {
              const c = await encrypt(fx.sender, m, payload);
              // Parley's ciphertext is wire bytes already; libsignal's needs serializing.
              if (c.type() !== ls.CiphertextMessageType.Whisper || c.serialize().length === 0) {
                throw new Error('expected a whisper message');
              }
            }
          }
        },
      };
    },

    async groupSenderKey(members: number, withDecrypts: boolean): Promise<Runner> {
      const g = await senderKeyGroup(members);
      return {
        run: async (n) => {
          for (let i = 0; i < n; i++) {
            const m = await ls.groupEncrypt(g.sender, g.distributionId, g.own, payload);
            if (!withDecrypts) continue;
            const bytes = m.serialize();
            for (const r of g.receivers) assertSame(await ls.groupDecrypt(g.sender, r, bytes), payload);
          }
        },
      };
    },

    async sessionSizes(eachWay: number): Promise<SessionSizes> {
      const { alice, bob } = await conversation();
      for (let i = 0; i < eachWay; i++) {
        await message(alice, bob);
        await message(bob, alice);
      }
      return {
        initiator: alice.sessions.bytes.get(key(bob.address))!.length,
        responder: bob.sessions.bytes.get(key(alice.address))!.length,
      };
    },
  };
}
