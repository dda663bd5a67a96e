/**
 * Safety numbers (DESIGN.md 7), after Signal's numeric fingerprint (libsignal
 * rust/protocol/src/fingerprint.rs). For each party:
 *
 *   h0 = SHA-512(0x0000 || key || stable id || key),  h(i) = SHA-512(h(i-1) || key)
 *
 * for 5200 iterations (~112-bit work factor against a second preimage, per libsignal).
 * The first 30 bytes of the result give 30 digits (six 5-byte big-endian chunks, each
 * mod 100000, zero-padded), and the two 30-digit halves are concatenated smaller first,
 * so both parties display the same 60 digits. The scannable form carries the first 32
 * bytes of each party's hash, in libsignal's CombinedFingerprints layout.
 *
 * `key` is the party's Ed25519 identity key as a 33-byte typed encoding: the type byte
 * SAFETY_NUMBER_KEY_TYPE, then the 32 key bytes. libsignal encodes its Curve25519
 * identity keys the same way with type 0x05; Parley fingerprints the exact Ed25519 key
 * the directory serves (not its X25519 image, which forgets the sign of x), under its
 * own type byte so the two encodings can never coincide. The hashing and digit code is
 * shared and tested against libsignal with libsignal's own encodings.
 */
import { assertBytes, concatBytes, utf8 } from '../bytes';
import { constantTimeEqual, KEY_BYTES, sha512 } from '../crypto/primitives';
import { DecodeError, InvalidArgumentError } from '../errors';

/** Hash iterations per party (libsignal's value for 60-digit safety numbers). */
export const SAFETY_NUMBER_ITERATIONS = 5200;

/** Type byte before the Ed25519 key in the fingerprint input (libsignal's Curve25519 is 0x05). */
export const SAFETY_NUMBER_KEY_TYPE = 0xed;

/** Version carried in the scannable form; a scan of another version is refused. */
export const SCANNABLE_SAFETY_NUMBER_VERSION = 1;

/** Longest stable identifier (the user id) fed into the hash. */
export const MAX_STABLE_ID_BYTES = 256;

const FINGERPRINT_HASH_VERSION = new Uint8Array([0x00, 0x00]);
const DIGITS_PER_PARTY = 30;
const SCANNABLE_HASH_BYTES = 32;
// CombinedFingerprints { version = 1; local_fingerprint = 2 { content = 1 }; remote = 3 { content = 1 } }
// with 32-byte contents and a one-byte version: a fixed 72-byte layout.
const SCANNABLE_VERSION_TAG = 0x08;
const SCANNABLE_LOCAL_PREFIX = new Uint8Array([0x12, 0x22, 0x0a, 0x20]);
const SCANNABLE_REMOTE_PREFIX = new Uint8Array([0x1a, 0x22, 0x0a, 0x20]);
export const SCANNABLE_SAFETY_NUMBER_BYTES = 2 + 2 * (4 + SCANNABLE_HASH_BYTES);

export interface SafetyNumberParty {
  /** Ed25519 identity public key of the device. */
  readonly identityKey: Uint8Array;
  /** The stable identifier of its user (the user id). */
  readonly stableId: string;
}

export interface SafetyNumber {
  /** 60 decimal digits, identical on both sides. */
  readonly digits: string;
  /** Bytes for a QR code; the other side checks them with compareScannableSafetyNumbers. */
  readonly scannable: Uint8Array;
}

/** One party's iterated hash (64 bytes). `serializedKey` is a typed key encoding. */
export function fingerprintHash(
  serializedKey: Uint8Array,
  stableId: Uint8Array,
  iterations: number,
): Uint8Array {
  if (!Number.isInteger(iterations) || iterations < 2 || iterations > 1_000_000) {
    throw new InvalidArgumentError('iterations must be in 2..1000000');
  }
  let hash = sha512(concatBytes(FINGERPRINT_HASH_VERSION, serializedKey, stableId, serializedKey));
  const input = new Uint8Array(hash.length + serializedKey.length);
  input.set(serializedKey, hash.length);
  for (let i = 1; i < iterations; i++) {
    input.set(hash, 0);
    hash = sha512(input);
  }
  return hash;
}

/** 30 digits from the first 30 bytes: six 5-byte big-endian chunks, each mod 100000. */
export function fingerprintDigits(hash: Uint8Array): string {
  if (hash.length < DIGITS_PER_PARTY) throw new InvalidArgumentError('fingerprint hash too short');
  let digits = '';
  for (let chunk = 0; chunk < 6; chunk++) {
    let value = 0;
    // 5 bytes < 2^40 fit exactly in a double.
    for (const byte of hash.subarray(chunk * 5, chunk * 5 + 5)) value = value * 256 + byte;
    digits += String(value % 100_000).padStart(5, '0');
  }
  return digits;
}

/** The shared core: display digits and scannable bytes from two typed key encodings. */
export function safetyNumberFromSerializedKeys(
  ours: { readonly serializedKey: Uint8Array; readonly stableId: Uint8Array },
  theirs: { readonly serializedKey: Uint8Array; readonly stableId: Uint8Array },
  iterations: number,
  scannableVersion: number,
): SafetyNumber {
  if (!Number.isInteger(scannableVersion) || scannableVersion < 0 || scannableVersion > 127) {
    throw new InvalidArgumentError('scannable version must be 0..127');
  }
  const local = fingerprintHash(ours.serializedKey, ours.stableId, iterations);
  const remote = fingerprintHash(theirs.serializedKey, theirs.stableId, iterations);
  const a = fingerprintDigits(local);
  const b = fingerprintDigits(remote);
  return {
    digits: a < b ? a + b : b + a,
    scannable: concatBytes(
      new Uint8Array([SCANNABLE_VERSION_TAG, scannableVersion]),
      SCANNABLE_LOCAL_PREFIX,
      local.subarray(0, SCANNABLE_HASH_BYTES),
      SCANNABLE_REMOTE_PREFIX,
      remote.subarray(0, SCANNABLE_HASH_BYTES),
    ),
  };
}

function party(
  p: SafetyNumberParty,
  who: string,
): { serializedKey: Uint8Array; stableId: Uint8Array } {
  assertBytes(p.identityKey, `${who} identity key`, KEY_BYTES);
  if (typeof p.stableId !== 'string')
    throw new InvalidArgumentError(`${who} stable id must be a string`);
  const stableId = utf8.encode(p.stableId);
  if (stableId.length === 0 || stableId.length > MAX_STABLE_ID_BYTES) {
    throw new InvalidArgumentError(`${who} stable id must be 1..${MAX_STABLE_ID_BYTES} bytes`);
  }
  return {
    serializedKey: concatBytes(new Uint8Array([SAFETY_NUMBER_KEY_TYPE]), p.identityKey),
    stableId,
  };
}

/** The safety number between our device and theirs. Both sides get the same digits. */
export function computeSafetyNumber(
  ours: SafetyNumberParty,
  theirs: SafetyNumberParty,
): SafetyNumber {
  return safetyNumberFromSerializedKeys(
    party(ours, 'our'),
    party(theirs, 'their'),
    SAFETY_NUMBER_ITERATIONS,
    SCANNABLE_SAFETY_NUMBER_VERSION,
  );
}

function parseScannable(
  bytes: Uint8Array,
  what: string,
): { version: number; local: Uint8Array; remote: Uint8Array } {
  if (!(bytes instanceof Uint8Array)) throw new DecodeError('MALFORMED', what, 'not bytes');
  if (bytes.length !== SCANNABLE_SAFETY_NUMBER_BYTES)
    throw new DecodeError('MALFORMED', what, 'length');
  const localAt = 2 + SCANNABLE_LOCAL_PREFIX.length;
  const remotePrefixAt = localAt + SCANNABLE_HASH_BYTES;
  const remoteAt = remotePrefixAt + SCANNABLE_REMOTE_PREFIX.length;
  const [tag, version] = bytes;
  const framingOk =
    tag === SCANNABLE_VERSION_TAG &&
    version !== undefined &&
    SCANNABLE_LOCAL_PREFIX.every((b, i) => bytes[2 + i] === b) &&
    SCANNABLE_REMOTE_PREFIX.every((b, i) => bytes[remotePrefixAt + i] === b);
  if (!framingOk) throw new DecodeError('MALFORMED', what, 'layout');
  return {
    version,
    local: bytes.subarray(localAt, localAt + SCANNABLE_HASH_BYTES),
    remote: bytes.subarray(remoteAt, remoteAt + SCANNABLE_HASH_BYTES),
  };
}

/**
 * Checks a scanned code against ours: true iff the other side's "local" is our "remote"
 * and the reverse (constant time). Throws DecodeError for a malformed scan or another
 * version (the two apps disagree on the format: not a match, but not an attack either).
 */
export function compareScannableSafetyNumbers(ours: Uint8Array, scanned: Uint8Array): boolean {
  const mine = parseScannable(ours, 'our scannable safety number');
  const theirs = parseScannable(scanned, 'scanned safety number');
  if (mine.version !== theirs.version) {
    throw new DecodeError(
      'UNSUPPORTED_VERSION',
      'scanned safety number',
      `version ${theirs.version}`,
    );
  }
  return constantTimeEqual(
    concatBytes(theirs.local, theirs.remote),
    concatBytes(mine.remote, mine.local),
  );
}
