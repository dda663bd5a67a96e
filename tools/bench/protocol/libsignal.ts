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

// Types only: the module itself is loaded with import() below.
import type * as LibSignal from '@signalapp/libsignal-client';
import type {
  CiphertextMessage,
  IdentityChange,
  IdentityKeyPair,
  KyberPreKeyRecord,
  PreKeyBundle,
  PreKeyRecord,
  PrivateKey,
  ProtocolAddress as Address,
  PublicKey,
  SenderKeyRecord,
  SessionRecord,
  SignedPreKeyRecord,
} from '@signalapp/libsignal-client';

type LS = typeof LibSignal;

const key = (a: Address): string => `${a.name()}.${a.deviceId()}`;
const done: Promise<void> = Promise.resolve();

function found<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`store has no ${what}`);
  return value;
}

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
    saveSession(name: Address, record: SessionRecord): Promise<void> {
      const k = key(name);
      this.bytes.set(k, record.serialize());
      this.live.set(k, record);
      return done;
    }
    getSession(name: Address): Promise<SessionRecord | null> {
      return Promise.resolve(this.live.get(key(name)) ?? null);
    }
    getExistingSessions(addresses: Address[]): Promise<SessionRecord[]> {
      return Promise.resolve(
        addresses.map((a) => found(this.live.get(key(a)), `session ${key(a)}`)),
      );
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
    getIdentityKey(): Promise<PrivateKey> {
      return Promise.resolve(this.ours.privateKey);
    }
    getLocalRegistrationId(): Promise<number> {
      return Promise.resolve(this.registrationId);
    }
    saveIdentity(name: Address, k: PublicKey): Promise<IdentityChange> {
      const before = this.known.get(key(name));
      this.known.set(key(name), k);
      return Promise.resolve(
        before && !before.equals(k)
          ? ls.IdentityChange.ReplacedExisting
          : ls.IdentityChange.NewOrUnchanged,
      );
    }
    isTrustedIdentity(name: Address, k: PublicKey): Promise<boolean> {
      const known = this.known.get(key(name));
      return Promise.resolve(!known || known.equals(k));
    }
    getIdentity(name: Address): Promise<PublicKey | null> {
      return Promise.resolve(this.known.get(key(name)) ?? null);
    }
  }

  /** Prekeys are never removed: setups repeat with the same one (Parley's side too). */
  class PreKeys extends ls.PreKeyStore {
    readonly map = new Map<number, PreKeyRecord>();
    savePreKey(id: number, r: PreKeyRecord): Promise<void> {
      this.map.set(id, r);
      return done;
    }
    getPreKey(id: number): Promise<PreKeyRecord> {
      return Promise.resolve(found(this.map.get(id), `prekey ${id}`));
    }
    removePreKey(): Promise<void> {
      return done;
    }
  }
  class SignedPreKeys extends ls.SignedPreKeyStore {
    readonly map = new Map<number, SignedPreKeyRecord>();
    saveSignedPreKey(id: number, r: SignedPreKeyRecord): Promise<void> {
      this.map.set(id, r);
      return done;
    }
    getSignedPreKey(id: number): Promise<SignedPreKeyRecord> {
      return Promise.resolve(found(this.map.get(id), `signed prekey ${id}`));
    }
  }
  /** A last-resort Kyber prekey: reusable, so marking it used is a no-op. */
  class KyberPreKeys extends ls.KyberPreKeyStore {
    readonly map = new Map<number, KyberPreKeyRecord>();
    saveKyberPreKey(id: number, r: KyberPreKeyRecord): Promise<void> {
      this.map.set(id, r);
      return done;
    }
    getKyberPreKey(id: number): Promise<KyberPreKeyRecord> {
      return Promise.resolve(found(this.map.get(id), `kyber prekey ${id}`));
    }
    markKyberPreKeyUsed(): Promise<void> {
      return done;
    }
  }

  class SenderKeys extends ls.SenderKeyStore {
    private readonly live = new Map<string, SenderKeyRecord>();
    readonly bytes = new Map<string, Uint8Array>();
    saveSenderKey(sender: Address, distributionId: string, record: SenderKeyRecord): Promise<void> {
      const k = `${key(sender)}/${distributionId}`;
      this.bytes.set(k, record.serialize());
      this.live.set(k, record);
      return done;
    }
    getSenderKey(sender: Address, distributionId: string): Promise<SenderKeyRecord | null> {
      return Promise.resolve(this.live.get(`${key(sender)}/${distributionId}`) ?? null);
    }
  }

  return { Sessions, Identities, PreKeys, SignedPreKeys, KyberPreKeys, SenderKeys };
}

export async function libsignalBench(payload: Uint8Array<ArrayBuffer>): Promise<LibraryBench> {
  const ls: LS = await import('@signalapp/libsignal-client');
  const S = storeClasses(ls);
  let nextRegistrationId = 1;
  const PREKEY: number = ls.CiphertextMessageType.PreKey;
  const WHISPER: number = ls.CiphertextMessageType.Whisper;

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
    signedPreKeys.map.set(
      1,
      ls.SignedPreKeyRecord.new(1, Date.now(), spk.getPublicKey(), spk, spkSig),
    );
    const kem = ls.KEMKeyPair.generate();
    const kemSig = identity.privateKey.sign(kem.getPublicKey().serialize());
    kyberPreKeys.map.set(1, ls.KyberPreKeyRecord.new(1, Date.now(), kem, kemSig));
    const bundle = ls.PreKeyBundle.new(
      registrationId,
      1,
      1,
      pre.getPublicKey(),
      1,
      spk.getPublicKey(),
      spkSig,
      identity.publicKey,
      1,
      kem.getPublicKey(),
      kemSig,
    );
    return {
      address,
      identity,
      bundle,
      sessions: new S.Sessions(),
      stores: {
        identity: new S.Identities(identity, registrationId),
        preKeys,
        signedPreKeys,
        kyberPreKeys,
      },
    };
  }

  const encrypt = (
    from: Device,
    to: Device,
    plaintext: Uint8Array<ArrayBuffer>,
  ): Promise<CiphertextMessage> =>
    ls.signalEncrypt(plaintext, to.address, from.address, from.sessions, from.stores.identity);

  /** Decrypts wire bytes of the given type, as a receiver would. */
  async function decrypt(
    to: Device,
    from: Device,
    type: number,
    bytes: Uint8Array<ArrayBuffer>,
  ): Promise<Uint8Array> {
    if (type === PREKEY) {
      return ls.signalDecryptPreKey(
        ls.PreKeySignalMessage.deserialize(bytes),
        from.address,
        to.address,
        to.sessions,
        to.stores.identity,
        to.stores.preKeys,
        to.stores.signedPreKeys,
        to.stores.kyberPreKeys,
      );
    }
    return ls.signalDecrypt(
      ls.SignalMessage.deserialize(bytes),
      from.address,
      to.address,
      to.sessions,
      to.stores.identity,
    );
  }

  async function message(from: Device, to: Device): Promise<void> {
    const m = await encrypt(from, to, payload);
    assertSame(await decrypt(to, from, m.type(), m.serialize()), payload);
  }

  /** Bundle -> first message -> reply, from no session at all on either side. */
  async function establish(alice: Device, bob: Device): Promise<void> {
    alice.sessions.clear();
    bob.sessions.clear();
    await ls.processPreKeyBundle(
      bob.bundle,
      bob.address,
      alice.address,
      alice.sessions,
      alice.stores.identity,
    );
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
      await ls.processPreKeyBundle(
        m.bundle,
        m.address,
        sender.address,
        sender.sessions,
        sender.stores.identity,
      );
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
      await ls.processSenderKeyDistributionMessage(
        sender,
        ls.SenderKeyDistributionMessage.deserialize(wire),
        store,
      );
      receivers.push(store);
    }
    return { sender, distributionId, own, receivers };
  }

  return {
    name: 'libsignal',

    setup(): Runner {
      const alice = makeDevice('alice');
      const bob = makeDevice('bob');
      return {
        run: async (n) => {
          for (let i = 0; i < n; i++) await establish(alice, bob);
        },
      };
    },

    async oneWay(): Promise<Runner> {
      const { alice, bob } = await conversation();
      return {
        run: async (n) => {
          const sent: CiphertextMessage[] = [];
          for (let i = 0; i < n; i++) sent.push(await encrypt(alice, bob, payload));
          for (const m of sent)
            assertSame(await decrypt(bob, alice, m.type(), m.serialize()), payload);
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
      const [r] = g.receivers;
      if (!r) throw new Error('no receiver');
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
              if (c.type() !== WHISPER || c.serialize().length === 0) {
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
            // The wire bytes, as Parley's encrypt returns them.
            const bytes = m.serialize();
            if (!withDecrypts) continue;
            for (const r of g.receivers)
              assertSame(await ls.groupDecrypt(g.sender, r, bytes), payload);
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
        initiator: found(alice.sessions.bytes.get(key(bob.address)), 'session').length,
        responder: found(bob.sessions.bytes.get(key(alice.address)), 'session').length,
      };
    },
  };
}
