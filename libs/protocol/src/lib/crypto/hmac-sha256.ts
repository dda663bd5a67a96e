/**
 * HMAC-SHA256 (RFC 2104) and HKDF-SHA256 (RFC 5869) on libsodium's own
 * crypto_auth_hmacsha256_{init,update,final}, called on the WASM module directly (the
 * wrapper's `libsodium` export) instead of through libsodium-wrappers. Same library and
 * same computation as `sodium().crypto_auth_hmacsha256`, so the same bytes; what changes
 * is the work around it, which was most of a sender-key message's non-signature cost:
 *
 * - no wrapper call per MAC (argument checks, a malloc/free per argument, output objects);
 *   inputs are copied into one scratch region allocated once;
 * - a key is absorbed once (its ipad/opad blocks: two SHA-256 compressions) and its
 *   keyed state is copied for every MAC under it: HKDF-Expand's blocks under one PRK, the
 *   chain-key step's two MACs (0x01, 0x02) under one chain key, and HKDF-Extract with the
 *   default all-zero salt, whose keyed state is computed once per process.
 *
 * The libsodium state is a plain struct (two SHA-256 states), so copying its bytes is
 * C struct assignment. Every scratch byte that held a key, a state or an output is
 * zeroed before returning. JS is single-threaded and nothing here re-enters, so one
 * scratch region serves every call.
 */
import { sodium } from './sodium';

/** The WASM exports of libsodium-sumo that this module calls (not in the wrapper's types). */
interface RawSodium {
  readonly HEAPU8: Uint8Array;
  _malloc(size: number): number;
  _crypto_auth_hmacsha256_init(state: number, key: number, keyLength: number): number;
  /** The 64-bit input length is passed as two 32-bit halves (low, high). */
  _crypto_auth_hmacsha256_update(
    state: number,
    input: number,
    lengthLow: number,
    lengthHigh: number,
  ): number;
  _crypto_auth_hmacsha256_final(state: number, out: number): number;
}

const STATE_BYTES = 208; // crypto_auth_hmacsha256_statebytes()
const MAC_BYTES = 32;
/**
 * Longest key copied in as it is. A longer key is replaced by its SHA-256 first, which is
 * HMAC's own rule for keys longer than the 64-byte block (libsodium applies it too).
 */
const MAX_KEY_BYTES = 1024;
/** Data is fed to `update` in pieces of at most this many bytes. */
const CHUNK_BYTES = 4096;

// Offsets in the scratch region (16-byte aligned).
const KEYED = 0; // a key's state after init: copied, never finalized
const WORK = KEYED + STATE_BYTES; // the state being updated and finalized
const ZERO_SALT = WORK + STATE_BYTES; // init with 32 zero bytes, kept for the process
const MAC_A = ZERO_SALT + STATE_BYTES;
const MAC_B = MAC_A + MAC_BYTES;
const KEY = MAC_B + MAC_BYTES;
const DATA = KEY + MAX_KEY_BYTES;
const SCRATCH_BYTES = DATA + CHUNK_BYTES;

interface Scratch {
  readonly raw: RawSodium;
  /** Address of the region. */
  readonly base: number;
}

let scratch: Scratch | undefined;

function rawModule(): RawSodium {
  const raw = (sodium() as unknown as { libsodium?: Partial<RawSodium> }).libsodium;
  if (
    !raw ||
    typeof raw._malloc !== 'function' ||
    typeof raw._crypto_auth_hmacsha256_init !== 'function' ||
    typeof raw._crypto_auth_hmacsha256_update !== 'function' ||
    typeof raw._crypto_auth_hmacsha256_final !== 'function' ||
    !(raw.HEAPU8 instanceof Uint8Array)
  ) {
    throw new Error('libsodium-wrappers-sumo does not expose its WASM module (libsodium)');
  }
  return raw as RawSodium;
}

function getScratch(): Scratch {
  if (scratch) return scratch;
  const raw = rawModule();
  const base = raw._malloc(SCRATCH_BYTES);
  if (!base) throw new Error('libsodium: out of memory');
  // The zero-salt keyed state (RFC 5869: no salt = HashLen zero bytes).
  raw.HEAPU8.fill(0, base, base + SCRATCH_BYTES);
  raw._crypto_auth_hmacsha256_init(base + ZERO_SALT, base + KEY, MAC_BYTES);
  scratch = { raw, base };
  return scratch;
}

/** Feeds `data` to the state at `state`, through the DATA region. */
function absorb(s: Scratch, state: number, data: Uint8Array): void {
  const { raw, base } = s;
  if (data.length <= CHUNK_BYTES) {
    raw.HEAPU8.set(data, base + DATA);
    raw._crypto_auth_hmacsha256_update(state, base + DATA, data.length, 0);
    return;
  }
  for (let offset = 0; offset < data.length; offset += CHUNK_BYTES) {
    const piece = data.subarray(offset, Math.min(data.length, offset + CHUNK_BYTES));
    raw.HEAPU8.set(piece, base + DATA);
    raw._crypto_auth_hmacsha256_update(state, base + DATA, piece.length, 0);
  }
}

/** Keys the KEYED state with `key`. */
function keyState(s: Scratch, key: Uint8Array): void {
  if (key.length > MAX_KEY_BYTES) key = sodium().crypto_hash_sha256(key);
  s.raw.HEAPU8.set(key, s.base + KEY);
  s.raw._crypto_auth_hmacsha256_init(s.base + KEYED, s.base + KEY, key.length);
}

/** Copies the keyed state at `from` to WORK. */
function startFrom(s: Scratch, from: number): void {
  s.raw.HEAPU8.copyWithin(s.base + WORK, s.base + from, s.base + from + STATE_BYTES);
}

/**
 * Zeroes every scratch byte that may hold a secret: both states, both MACs, the first
 * `keyBytes` of KEY and `dataBytes` of DATA (the zero-salt state is public).
 */
function clear(s: Scratch, keyBytes: number, dataBytes: number): void {
  const heap = s.raw.HEAPU8;
  heap.fill(0, s.base + KEYED, s.base + ZERO_SALT);
  heap.fill(0, s.base + MAC_A, s.base + KEY + Math.min(keyBytes, MAX_KEY_BYTES));
  heap.fill(0, s.base + DATA, s.base + DATA + Math.min(dataBytes, CHUNK_BYTES));
}

function readMac(s: Scratch, at: number): Uint8Array {
  return s.raw.HEAPU8.slice(s.base + at, s.base + at + MAC_BYTES);
}

/** HMAC-SHA256 with a key of any length. */
export function hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array {
  const s = getScratch();
  try {
    keyState(s, key);
    absorb(s, s.base + KEYED, data);
    s.raw._crypto_auth_hmacsha256_final(s.base + KEYED, s.base + MAC_A);
    return readMac(s, MAC_A);
  } finally {
    clear(s, key.length, data.length);
  }
}

/**
 * HMAC-SHA256(key, first) and HMAC-SHA256(key, second), keying once: the KDF chain step
 * of the Double Ratchet and of Sender Keys (message key with 0x01, next chain key with 0x02).
 */
export function hmacSha256Pair(
  key: Uint8Array,
  first: Uint8Array,
  second: Uint8Array,
): [Uint8Array, Uint8Array] {
  const s = getScratch();
  try {
    keyState(s, key);
    startFrom(s, KEYED);
    absorb(s, s.base + WORK, first);
    s.raw._crypto_auth_hmacsha256_final(s.base + WORK, s.base + MAC_A);
    absorb(s, s.base + KEYED, second);
    s.raw._crypto_auth_hmacsha256_final(s.base + KEYED, s.base + MAC_B);
    return [readMac(s, MAC_A), readMac(s, MAC_B)];
  } finally {
    clear(s, key.length, Math.max(first.length, second.length));
  }
}

/**
 * HKDF-SHA256 (RFC 5869): PRK = HMAC(salt, ikm), T(i) = HMAC(PRK, T(i-1) || info || i).
 * An absent or empty salt is HashLen zero bytes (the RFC's default).
 */
export function hkdfSha256(
  ikm: Uint8Array,
  salt: Uint8Array | undefined,
  info: Uint8Array,
  length: number,
): Uint8Array {
  const out = new Uint8Array(length);
  hkdfSha256Into(ikm, salt, info, out);
  return out;
}

/**
 * HKDF-SHA256 whose output fills `outputs` in order (e.g. an AEAD key, then its nonce):
 * the same bytes as hkdfSha256 of their total length, without allocating.
 */
export function hkdfSha256Into(
  ikm: Uint8Array,
  salt: Uint8Array | undefined,
  info: Uint8Array,
  ...outputs: Uint8Array[]
): void {
  let length = 0;
  for (const o of outputs) length += o.length;
  if (length <= 0 || length > 255 * MAC_BYTES) throw new RangeError('HKDF length out of range');
  const s = getScratch();
  const { raw, base } = s;
  try {
    // Extract: PRK into MAC_A.
    if (salt && salt.length > 0) {
      keyState(s, salt);
      startFrom(s, KEYED);
    } else {
      startFrom(s, ZERO_SALT);
    }
    absorb(s, base + WORK, ikm);
    raw._crypto_auth_hmacsha256_final(base + WORK, base + MAC_A);
    // Expand: key the PRK once; each block starts from a copy of that state.
    raw._crypto_auth_hmacsha256_init(base + KEYED, base + MAC_A, MAC_BYTES);
    // info || counter sits in DATA for every block, unless info needs more than one chunk.
    const infoInData = info.length < CHUNK_BYTES;
    if (infoInData) raw.HEAPU8.set(info, base + DATA);
    let target = 0;
    let targetPos = 0;
    for (let counter = 1; target < outputs.length; counter++) {
      startFrom(s, KEYED);
      if (counter > 1) raw._crypto_auth_hmacsha256_update(base + WORK, base + MAC_B, MAC_BYTES, 0);
      if (infoInData) {
        raw.HEAPU8[base + DATA + info.length] = counter;
        raw._crypto_auth_hmacsha256_update(base + WORK, base + DATA, info.length + 1, 0);
      } else {
        absorb(s, base + WORK, info);
        raw.HEAPU8[base + MAC_A] = counter; // the PRK is no longer needed there
        raw._crypto_auth_hmacsha256_update(base + WORK, base + MAC_A, 1, 0);
      }
      raw._crypto_auth_hmacsha256_final(base + WORK, base + MAC_B);
      // Spread T(counter) over the outputs, byte by byte (they are short).
      const heap = raw.HEAPU8;
      for (let p = base + MAC_B, end = p + MAC_BYTES; p < end && target < outputs.length; p++) {
        const o = outputs[target] as Uint8Array;
        o[targetPos++] = heap[p] as number;
        if (targetPos === o.length) {
          target++;
          targetPos = 0;
        }
      }
    }
  } finally {
    clear(s, salt?.length ?? 0, Math.max(ikm.length, info.length + 1));
  }
}
