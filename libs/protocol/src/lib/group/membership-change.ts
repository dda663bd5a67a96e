/**
 * Wire form of a membership change: [version][SignedMembershipChange{ body, signature }].
 * The author's identity key signs "ParleyMembershipChange" || version byte || body; the
 * context string keeps this signature apart from every other use of identity keys
 * (signed prekeys, gateway authentication). The decoder checks structure and field
 * shapes only (DecodeError); whether a change may follow a state is membership-chain.ts.
 */
import { concatBytes, utf8 } from '../bytes';
import { KEY_BYTES, sha256, SIGNATURE_BYTES } from '../crypto/primitives';
import { DecodeError } from '../errors';
import {
  decodeBody,
  decodeVersioned,
  encodeBody,
  encodeVersioned,
  requireLength,
  WIRE_VERSION,
} from '../wire/codec';
import {
  MembershipChangeBody_Action as Action,
  MembershipChangeBodySchema,
  SignedMembershipChangeSchema,
} from '../wire/generated/parley/wire/v1/wire_pb';
import {
  GROUP_ID_BYTES,
  GROUP_NONCE_BYTES,
  MEMBERSHIP_HASH_BYTES,
  MAX_MEMBERSHIP_CHANGE_BYTES,
  MAX_SUBJECTS_PER_CHANGE,
} from './constants';
import type { MemberDevice } from './member-device';
import { userIdProblem } from './member-device';

const WHAT = 'SignedMembershipChange';
const SIGNATURE_CONTEXT = utf8.encode('ParleyMembershipChange');

export type MembershipAction = 'create' | 'add' | 'remove' | 'promote' | 'demote';

const TO_WIRE: Record<MembershipAction, Action> = {
  create: Action.CREATE,
  add: Action.ADD,
  remove: Action.REMOVE,
  promote: Action.PROMOTE,
  demote: Action.DEMOTE,
};
const FROM_WIRE = new Map<number, MembershipAction>(
  Object.entries(TO_WIRE).map(([k, v]) => [v, k as MembershipAction]),
);

export interface MembershipChangeBody {
  /** Empty at epoch 0 (the group id derives from the genesis), then the group id. */
  readonly groupId: Uint8Array;
  readonly epoch: number;
  /** Empty at epoch 0, then SHA-256 of the previous encoded SignedMembershipChange. */
  readonly previousHash: Uint8Array;
  readonly action: MembershipAction;
  readonly subjects: readonly MemberDevice[];
  readonly authorIdentityKey: Uint8Array;
  /** The author's clock; informative only (admins' clocks disagree). */
  readonly timestampMs: number;
  /** GROUP_NONCE_BYTES random bytes at epoch 0, empty afterwards. */
  readonly groupNonce: Uint8Array;
}

export interface MembershipChange extends MembershipChangeBody {
  /** The whole encoded change as received: its SHA-256 is the chain link. */
  readonly encoded: Uint8Array;
  readonly bodyBytes: Uint8Array;
  /** Empty when unsigned. */
  readonly signature: Uint8Array;
}

export function encodeMembershipChangeBody(b: MembershipChangeBody): Uint8Array {
  return encodeBody(MembershipChangeBodySchema, {
    groupId: b.groupId,
    epoch: BigInt(b.epoch),
    previousHash: b.previousHash,
    action: TO_WIRE[b.action],
    subjects: b.subjects.map((s) => ({
      userId: s.userId,
      deviceId: s.deviceId,
      identityKey: s.identityKey,
    })),
    authorIdentityKey: b.authorIdentityKey,
    timestampMs: BigInt(b.timestampMs),
    groupNonce: b.groupNonce,
  });
}

/** What the author signs. */
export function membershipSignedBytes(bodyBytes: Uint8Array): Uint8Array {
  return concatBytes(SIGNATURE_CONTEXT, new Uint8Array([WIRE_VERSION]), bodyBytes);
}

export function encodeSignedMembershipChange(
  bodyBytes: Uint8Array,
  signature: Uint8Array,
): Uint8Array {
  return encodeVersioned(SignedMembershipChangeSchema, { body: bodyBytes, signature });
}

/** The chain link: SHA-256 of an encoded signed change. */
export function membershipChangeHash(encoded: Uint8Array): Uint8Array {
  return sha256(encoded);
}

function safeNumber(v: bigint, field: string): number {
  if (v > BigInt(Number.MAX_SAFE_INTEGER))
    throw new DecodeError('MALFORMED', WHAT, `${field} out of range`);
  return Number(v);
}

function optionalLength(b: Uint8Array, length: number, field: string): Uint8Array {
  if (b.length !== 0 && b.length !== length) {
    throw new DecodeError('MALFORMED', WHAT, `${field} must be empty or ${length} bytes`);
  }
  return b.slice();
}

/** Strict structural decode; throws DecodeError. Semantics are checked when applied. */
export function decodeSignedMembershipChange(encoded: Uint8Array): MembershipChange {
  const outer = decodeVersioned(
    SignedMembershipChangeSchema,
    encoded,
    WHAT,
    MAX_MEMBERSHIP_CHANGE_BYTES,
  );
  const signature = optionalLength(outer.signature, SIGNATURE_BYTES, 'signature');
  const m = decodeBody(MembershipChangeBodySchema, outer.body, WHAT, MAX_MEMBERSHIP_CHANGE_BYTES);
  const action = FROM_WIRE.get(m.action);
  if (!action) throw new DecodeError('MALFORMED', WHAT, 'unknown action');
  if (m.subjects.length === 0 || m.subjects.length > MAX_SUBJECTS_PER_CHANGE) {
    throw new DecodeError('MALFORMED', WHAT, `1..${MAX_SUBJECTS_PER_CHANGE} subjects`);
  }
  const subjects = m.subjects.map((s): MemberDevice => {
    const problem = userIdProblem(s.userId);
    if (problem) throw new DecodeError('MALFORMED', WHAT, problem);
    return Object.freeze({
      userId: s.userId,
      deviceId: s.deviceId,
      identityKey: requireLength(s.identityKey, KEY_BYTES, WHAT, 'subject identity key').slice(),
    });
  });
  return {
    encoded: encoded.slice(),
    bodyBytes: outer.body.slice(),
    signature,
    groupId: optionalLength(m.groupId, GROUP_ID_BYTES, 'group id'),
    epoch: safeNumber(m.epoch, 'epoch'),
    previousHash: optionalLength(m.previousHash, MEMBERSHIP_HASH_BYTES, 'previous hash'),
    action,
    subjects,
    authorIdentityKey: requireLength(
      m.authorIdentityKey,
      KEY_BYTES,
      WHAT,
      'author identity key',
    ).slice(),
    timestampMs: safeNumber(m.timestampMs, 'timestamp'),
    groupNonce: optionalLength(m.groupNonce, GROUP_NONCE_BYTES, 'group nonce'),
  };
}
