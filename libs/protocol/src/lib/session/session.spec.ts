import { toHex, utf8 } from '../bytes';
import { initProtocol } from '../crypto/sodium';
import { DecodeError, DecryptionError, DuplicateMessageError, InvalidKeyError, InvalidStateError, ProtocolError, TooManySkippedError } from '../errors';
import { MAX_SKIP } from '../ratchet/constants';
import { deterministicRandom } from '../random';
import { makeDevice, Pair } from '../../test/fixtures';
import { decodePreKeyMessage, encodePreKeyMessage } from './prekey-message';
import { SessionRecord } from './session-record';

beforeAll(initProtocol);

function pair(seed: string): Pair {
  const random = deterministicRandom(seed);
  return new Pair(makeDevice('alice', random), makeDevice('bob', random), random);
}

describe('1:1 sessions (X3DH + Double Ratchet)', () => {
  it('exchanges messages both ways; PreKeyMessages only until the first reply', () => {
    const p = pair('basic');
    const m1 = p.send('alice', 'hello bob');
    const m2 = p.send('alice', 'are you there?');
    expect(m1.type).toBe('prekey');
    expect(m2.type).toBe('prekey');
    expect(p.receive('bob', m1)).toBe('hello bob');
    expect(p.bob.oneTimePreKeys.has(1)).toBe(false); // used, deleted
    expect(p.receive('bob', m2)).toBe('are you there?'); // same session, no second X3DH
    const r1 = p.send('bob', 'hi alice');
    expect(r1.type).toBe('message');
    expect(p.receive('alice', r1)).toBe('hi alice');
    const m3 = p.send('alice', 'great');
    expect(m3.type).toBe('message');
    expect(p.receive('bob', m3)).toBe('great');
  });

  it('works without a one-time prekey', () => {
    const random = deterministicRandom('no-otk');
    const alice = makeDevice('alice', random);
    const bob = makeDevice('bob', random);
    const record = SessionRecord.empty();
    record.initiate(alice.identity, bob.bundle(false), random);
    const bobRecord = SessionRecord.empty();
    const out = bobRecord.decrypt(record.encrypt(utf8.encode('x')), bob.identity, bob.preKeys, random);
    expect(utf8.decode(out.plaintext)).toBe('x');
    expect(out.usedOneTimePreKeyId).toBeUndefined();
  });

  it('refuses a PreKeyMessage naming an unknown or used one-time prekey', () => {
    const p = pair('used-otk');
    const m1 = p.send('alice', 'one');
    p.receive('bob', m1);
    // A second device restarting X3DH with the same, now used, one-time prekey.
    const replayer = SessionRecord.empty();
    const fresh = SessionRecord.empty();
    fresh.initiate(p.alice.identity, { ...p.bob.bundle(false), oneTimePreKey: { id: 1, publicKey: new Uint8Array(32).fill(9) } }, p.random);
    expect(() => replayer.decrypt(fresh.encrypt(utf8.encode('x')), p.bob.identity, p.bob.preKeys, p.random)).toThrow(InvalidKeyError);
  });

  it('decrypts out-of-order messages across ratchet steps, each exactly once', () => {
    const p = pair('ooo');
    p.receive('bob', p.send('alice', 'start'));
    const a = [0, 1, 2, 3].map((i) => p.send('bob', `b${i}`));
    expect(p.receive('alice', a[3]!)).toBe('b3');
    const reply = p.send('alice', 'new chain');
    expect(p.receive('bob', reply)).toBe('new chain');
    const b = [0, 1].map((i) => p.send('bob', `c${i}`));
    expect(p.receive('alice', b[1]!)).toBe('c1');
    expect(p.receive('alice', a[1]!)).toBe('b1'); // old chain, skipped key
    expect(p.receive('alice', a[0]!)).toBe('b0');
    expect(p.receive('alice', b[0]!)).toBe('c0');
    expect(p.receive('alice', a[2]!)).toBe('b2');
    for (const m of [a[0]!, a[3]!, b[0]!, b[1]!]) {
      expect(() => p.receive('alice', m)).toThrow(DuplicateMessageError);
    }
  });

  it('rejects a replay and leaves the record byte-for-byte unchanged', () => {
    const p = pair('replay');
    const m = p.send('alice', 'once');
    p.receive('bob', m);
    const before = toHex(p.bobRecord.serialize());
    expect(() => p.receive('bob', m)).toThrow(DuplicateMessageError);
    expect(toHex(p.bobRecord.serialize())).toBe(before);
  });

  it('refuses a repeated PreKeyMessage whose base key has its top bit flipped (X25519 ignores that bit)', () => {
    const random = deterministicRandom('base-key-top-bit');
    const alice = makeDevice('alice', random);
    const bob = makeDevice('bob', random);
    const aliceRecord = SessionRecord.empty();
    // No one-time prekey: nothing is used up by the first delivery.
    aliceRecord.initiate(alice.identity, bob.bundle(false), random);
    const m = aliceRecord.encrypt(utf8.encode('once'));
    const bobRecord = SessionRecord.empty();
    expect(utf8.decode(bobRecord.decrypt(m, bob.identity, bob.preKeys, random).plaintext)).toBe('once');
    const decoded = decodePreKeyMessage(m.body);
    const baseKey = decoded.baseKey.slice();
    baseKey[31]! ^= 0x80;
    const forged = {
      type: 'prekey' as const,
      body: encodePreKeyMessage({ ...decoded, baseKey }, decoded.message.headerBytes, decoded.message.ciphertext),
    };
    const before = toHex(bobRecord.serialize());
    // Accepted, it would start a second session from the same X3DH and decrypt the message again.
    expect(() => bobRecord.decrypt(forged, bob.identity, bob.preKeys, random)).toThrow(DecodeError);
    expect(toHex(bobRecord.serialize())).toBe(before);
    expect(() => bobRecord.decrypt(m, bob.identity, bob.preKeys, random)).toThrow(DuplicateMessageError);
  });

  it('every single-bit flip of a ratchet message and of a PreKeyMessage is refused, changing nothing', () => {
    // Exhaustive over bits (the property test samples whole-byte changes): a bit that some
    // primitive ignores, like an X25519 key's top bit, shows up here on every run.
    const random = deterministicRandom('every-bit');
    const p = new Pair(makeDevice('alice', random), makeDevice('bob', random), random);
    p.receive('bob', p.send('alice', 'hello'));
    p.receive('alice', p.send('bob', 'reply'));
    const q = new Pair(makeDevice('alice2', random), makeDevice('bob2', random), random);
    const accepted: string[] = [];
    for (const [pair, m] of [[p, p.send('alice', 'ratchet')], [q, q.send('alice', 'prekey')]] as const) {
      const before = toHex(pair.bobRecord.serialize());
      for (let bit = 0; bit < m.body.length * 8; bit++) {
        const bad = m.body.slice();
        bad[bit >> 3]! ^= 1 << (bit & 7);
        try {
          pair.receive('bob', { type: m.type, body: bad });
          accepted.push(`${m.type} bit ${bit}`);
        } catch (e) {
          if (!(e instanceof ProtocolError)) accepted.push(`${m.type} bit ${bit}: ${String(e)}`);
        }
      }
      expect(toHex(pair.bobRecord.serialize())).toBe(before);
    }
    expect(accepted).toEqual([]);
  });

  it('a tampered message fails with a typed error and changes nothing', () => {
    const p = pair('tamper');
    p.receive('bob', p.send('alice', 'hi'));
    p.receive('alice', p.send('bob', 'hi'));
    const m = p.send('alice', 'secret');
    const before = toHex(p.bobRecord.serialize());
    for (let i = 0; i < m.body.length; i++) {
      const bad = m.body.slice();
      bad[i]! ^= 0x40;
      expect(() => p.receive('bob', { type: m.type, body: bad })).toThrow(/./);
      try {
        p.receive('bob', { type: m.type, body: bad });
      } catch (e) {
        expect([DecodeError, DecryptionError, DuplicateMessageError, InvalidKeyError, TooManySkippedError, InvalidStateError].some((c) => e instanceof c)).toBe(true);
      }
      expect(toHex(p.bobRecord.serialize())).toBe(before);
    }
    expect(p.receive('bob', m)).toBe('secret');
  });

  it('bounds skipped keys: a gap over MAX_SKIP is refused', () => {
    const p = pair('skip');
    p.receive('bob', p.send('alice', 'start'));
    const msgs: ReturnType<Pair["send"]>[] = [];
    for (let i = 0; i <= MAX_SKIP + 1; i++) msgs.push(p.send('bob', `m${i}`));
    expect(() => p.receive('alice', msgs[MAX_SKIP + 1]!)).toThrow(TooManySkippedError);
    expect(p.receive('alice', msgs[MAX_SKIP]!)).toBe(`m${MAX_SKIP}`);
  });

  it('survives serialization after every message', () => {
    const p = pair('persist');
    let alice = p.aliceRecord;
    let bob = p.bobRecord;
    for (let i = 0; i < 20; i++) {
      const fromAlice = i % 3 !== 2;
      const sender = fromAlice ? alice : bob;
      const receiver = fromAlice ? bob : alice;
      const device = fromAlice ? p.bob : p.alice;
      const m = sender.encrypt(utf8.encode(`msg ${i}`));
      const out = receiver.decrypt(m, device.identity, device.preKeys, p.random);
      expect(utf8.decode(out.plaintext)).toBe(`msg ${i}`);
      alice = SessionRecord.deserialize(alice.serialize());
      bob = SessionRecord.deserialize(bob.serialize());
      expect(toHex(alice.serialize())).toBe(toHex(SessionRecord.deserialize(alice.serialize()).serialize()));
    }
  });

  it('a new session from the peer replaces the old one; delayed messages of the old still decrypt', () => {
    const p = pair('renew');
    p.receive('bob', p.send('alice', 'first session'));
    p.receive('alice', p.send('bob', 'reply'));
    const late = p.send('alice', 'late from old session');
    // Alice restores from an old backup: she starts over from Bob's bundle.
    p.aliceRecord.initiate(p.alice.identity, p.bob.bundle(), p.random);
    expect(p.receive('bob', p.send('alice', 'fresh start'))).toBe('fresh start');
    expect(p.receive('alice', p.send('bob', 'welcome back'))).toBe('welcome back');
    expect(p.receive('bob', late)).toBe('late from old session');
  });

  it('forward secrecy: a serialized state taken after decryption cannot decrypt that message again', () => {
    const p = pair('fs');
    p.receive('bob', p.send('alice', 'hi'));
    p.receive('alice', p.send('bob', 'hi'));
    const m = p.send('alice', 'forward secret');
    p.receive('bob', m);
    const stolen = SessionRecord.deserialize(p.bobRecord.serialize());
    expect(() => stolen.decrypt(m, p.bob.identity, p.bob.preKeys, p.random)).toThrow(DuplicateMessageError);
    // Nor does any serialized field contain the message key: it is derived and wiped.
    expect(() => stolen.decrypt(m, p.bob.identity, p.bob.preKeys, p.random)).toThrow();
  });

  it('post-compromise security: a full copy of Bob taken at time t fails after one round trip', () => {
    const p = pair('pcs');
    p.receive('bob', p.send('alice', 'hi'));
    p.receive('alice', p.send('bob', 'hi'));
    const attacker = SessionRecord.deserialize(p.bobRecord.serialize());
    const attackerRandom = deterministicRandom('attacker');
    // Before healing, the copy reads Alice's next message (as the spec says it must).
    const beforeHeal = p.send('alice', 'still readable');
    const attackerCopy = SessionRecord.deserialize(attacker.serialize());
    expect(utf8.decode(attackerCopy.decrypt(beforeHeal, p.bob.identity, p.bob.preKeys, attackerRandom).plaintext)).toBe('still readable');
    p.receive('bob', beforeHeal);
    // One round trip: Bob replies with a fresh ratchet key, Alice answers.
    p.receive('alice', p.send('bob', 'new ratchet key'));
    const afterHeal = p.send('alice', 'healed');
    expect(() => attacker.decrypt(afterHeal, p.bob.identity, p.bob.preKeys, attackerRandom)).toThrow(DecryptionError);
    expect(p.receive('bob', afterHeal)).toBe('healed');
  });
});
