/**
 * Protocol demo: Alice, Bob and Carol talk 1:1 and in both group modes, entirely in
 * process through @parley/protocol (the services come in later issues). Prints a
 * transcript with ciphertext sizes and a safety number. Exits non-zero if any step
 * fails to decrypt as expected.
 */
import {
  buildMembershipChange,
  computeSafetyNumber,
  createGroup,
  createOwnSenderKey,
  createSenderKeyDistribution,
  decryptSenderKeyMessage,
  encryptPairwiseGroupMessage,
  encryptSenderKeyMessage,
  generateIdentityKeyPair,
  generateOneTimePreKeys,
  generateSignedPreKey,
  initProtocol,
  openPairwiseGroupPayload,
  processSenderKeyDistribution,
  publicSignedPreKey,
  rotateOwnSenderKey,
  secureRandom,
  SessionRecord,
  utf8,
} from '@parley/protocol';
import type {
  CiphertextMessage,
  GroupMembershipState,
  IdentityKeyPair,
  KeyPair,
  MemberDevice,
  PreKeyBundle,
  ProtocolError,
  SenderKeyState,
} from '@parley/protocol';

const random = secureRandom;
const now = () => Date.now();
const log = (line: string) => process.stdout.write(`${line}\n`);

class Device {
  readonly identity: IdentityKeyPair = generateIdentityKeyPair(random);
  private readonly signedPreKey = generateSignedPreKey(this.identity, 1, random, now());
  private readonly oneTimePreKeys = new Map<number, KeyPair>(
    generateOneTimePreKeys(1, 10, random).map((k) => [k.id, k.keyPair]),
  );
  private readonly sessions = new Map<string, SessionRecord>();
  readonly receivedSenderKeys = new Map<string, SenderKeyState>();

  constructor(readonly userId: string) {}

  get member(): MemberDevice {
    return { userId: this.userId, deviceId: 1, identityKey: this.identity.publicKey };
  }

  /** What the prekey directory would serve (handing out one one-time prekey). */
  bundle(): PreKeyBundle {
    const [id, keyPair] = this.oneTimePreKeys.entries().next().value as [number, KeyPair];
    return {
      identityKey: this.identity.publicKey,
      signedPreKey: publicSignedPreKey(this.signedPreKey),
      oneTimePreKey: { id, publicKey: keyPair.publicKey },
    };
  }

  encryptTo(peer: Device, plaintext: Uint8Array): CiphertextMessage {
    let record = this.sessions.get(peer.userId);
    if (!record) {
      record = SessionRecord.empty();
      record.initiate(this.identity, peer.bundle(), random);
      this.sessions.set(peer.userId, record);
    }
    const message = record.encrypt(plaintext);
    this.sessions.set(peer.userId, SessionRecord.deserialize(record.serialize())); // persisted
    return message;
  }

  decryptFrom(peer: Device, message: CiphertextMessage): Uint8Array {
    const record = this.sessions.get(peer.userId) ?? SessionRecord.empty();
    const result = record.decrypt(
      message,
      this.identity,
      {
        signedPreKey: (id) => (id === this.signedPreKey.id ? this.signedPreKey.keyPair : undefined),
        oneTimePreKey: (id) => this.oneTimePreKeys.get(id),
      },
      random,
    );
    if (result.usedOneTimePreKeyId !== undefined)
      this.oneTimePreKeys.delete(result.usedOneTimePreKeyId);
    this.sessions.set(peer.userId, SessionRecord.deserialize(record.serialize()));
    return result.plaintext;
  }
}

function expectText(actual: Uint8Array, expected: string): string {
  const text = utf8.decode(actual);
  if (text !== expected) throw new Error(`expected "${expected}", got "${text}"`);
  return text;
}

function direct(from: Device, to: Device, text: string): void {
  const message = from.encryptTo(to, utf8.encode(text));
  const received = expectText(to.decryptFrom(from, message), text);
  log(
    `  ${from.userId} -> ${to.userId}: "${received}"  [${message.type}, ${message.body.length} bytes]`,
  );
}

function pairwiseGroup(
  membership: GroupMembershipState,
  from: Device,
  everyone: Device[],
  text: string,
): void {
  const byKey = new Map(everyone.map((d) => [d.userId, d]));
  const ciphertexts = encryptPairwiseGroupMessage(
    membership,
    from.member,
    utf8.encode(text),
    (device, plaintext) => from.encryptTo(must(byKey, device.userId), plaintext),
  );
  const total = ciphertexts.reduce((n, c) => n + c.ciphertext.body.length, 0);
  for (const { device, ciphertext } of ciphertexts) {
    const to = must(byKey, device.userId);
    const payload = openPairwiseGroupPayload(
      to.decryptFrom(from, ciphertext),
      from.member,
      () => membership,
    );
    expectText(payload.body, text);
  }
  log(
    `  ${from.userId} -> group (pairwise): "${text}"  [${ciphertexts.length} ciphertexts, ${total} bytes uploaded]`,
  );
}

function distribute(sender: Device, own: SenderKeyState, to: Device[], groupId: Uint8Array): void {
  const distribution = createSenderKeyDistribution(own);
  for (const member of to) {
    // Sender key distribution travels over the pairwise sessions.
    const plaintext = member.decryptFrom(sender, sender.encryptTo(member, distribution));
    member.receivedSenderKeys.set(
      sender.userId,
      processSenderKeyDistribution(
        member.receivedSenderKeys.get(sender.userId),
        groupId,
        plaintext,
        now(),
      ),
    );
  }
}

function senderKeyGroup(from: Device, own: SenderKeyState, to: Device[], text: string): void {
  const ciphertext = encryptSenderKeyMessage(own, utf8.encode(text));
  for (const member of to)
    expectText(
      decryptSenderKeyMessage(must(member.receivedSenderKeys, from.userId), ciphertext),
      text,
    );
  log(
    `  ${from.userId} -> group (sender keys): "${text}"  [1 ciphertext, ${ciphertext.length} bytes, server fans out to ${to.length}]`,
  );
}

export async function runProtocolDemo(): Promise<void> {
  await initProtocol();
  const alice = new Device('alice');
  const bob = new Device('bob');
  const carol = new Device('carol');
  const everyone = [alice, bob, carol];

  log('1:1 (X3DH + Double Ratchet)');
  direct(alice, bob, 'Hi Bob, this is Alice.');
  direct(alice, bob, 'Second message before you answer.');
  direct(bob, alice, 'Hi Alice! Got both.');
  direct(alice, bob, 'Ratchet turned.');
  const safety = computeSafetyNumber(
    { identityKey: alice.identity.publicKey, stableId: alice.userId },
    { identityKey: bob.identity.publicKey, stableId: bob.userId },
  );
  const bobsView = computeSafetyNumber(
    { identityKey: bob.identity.publicKey, stableId: bob.userId },
    { identityKey: alice.identity.publicKey, stableId: alice.userId },
  );
  if (safety.digits !== bobsView.digits) throw new Error('safety numbers differ');
  log(`  safety number alice/bob: ${safety.digits.replace(/(\d{5})/g, '$1 ').trim()}`);

  log('\nGroup, mode A: pairwise fan-out');
  const created = createGroup(
    alice.identity,
    alice.member,
    [bob.member, carol.member],
    random,
    now(),
  );
  let membership = created.state;
  log(
    `  alice created the group (epoch ${membership.epoch}, ${membership.members().length} members, signed membership chain)`,
  );
  pairwiseGroup(membership, alice, everyone, 'Welcome to the pairwise group.');
  pairwiseGroup(membership, carol, everyone, 'Thanks, Carol here.');

  log('\nGroup, mode B: Sender Keys');
  const groupId = membership.groupId;
  const own = new Map(everyone.map((d) => [d.userId, createOwnSenderKey(groupId, random, now())]));
  for (const d of everyone)
    distribute(
      d,
      must(own, d.userId),
      everyone.filter((o) => o !== d),
      groupId,
    );
  senderKeyGroup(alice, must(own, 'alice'), [bob, carol], 'One ciphertext for everyone.');
  senderKeyGroup(bob, must(own, 'bob'), [alice, carol], 'Bob agrees.');

  log('\nCarol leaves: the admin signs the change, everyone rotates');
  const removal = buildMembershipChange(
    membership,
    alice.identity,
    'remove',
    [carol.member],
    now(),
  );
  membership = removal.state;
  const carolsOldKey = must(carol.receivedSenderKeys, 'alice');
  rotateOwnSenderKey(must(own, 'alice'), random, now());
  distribute(alice, must(own, 'alice'), [bob], groupId);
  senderKeyGroup(alice, must(own, 'alice'), [bob], 'Carol cannot read this.');
  try {
    decryptSenderKeyMessage(
      carolsOldKey,
      encryptSenderKeyMessage(must(own, 'alice'), utf8.encode('secret')),
    );
    throw new Error('carol decrypted after removal');
  } catch (error) {
    log(`  carol, holding every old key, fails: ${(error as ProtocolError).code}`);
  }
  log(
    `  epoch ${membership.epoch}: ${membership
      .members()
      .map((m) => m.userId)
      .join(', ')}`,
  );
}

/** A map entry the demo's own set-up put there. */
function must<K, V>(map: ReadonlyMap<K, V>, key: K): V {
  const value = map.get(key);
  if (value === undefined) throw new Error(`demo set-up: no entry for ${String(key)}`);
  return value;
}
