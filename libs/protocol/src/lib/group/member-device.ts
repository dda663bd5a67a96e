/**
 * A group member is a device: the user it belongs to, its device id, and its Ed25519
 * identity key. All three must match for a device to count as a member, so a server
 * swapping a device's key (or re-registering a device id) does not inherit membership.
 */
import { utf8 } from '../bytes';
import { constantTimeEqual, KEY_BYTES } from '../crypto/primitives';
import { InvalidArgumentError } from '../errors';
import { MAX_USER_ID_BYTES } from './constants';

export interface MemberDevice {
  readonly userId: string;
  readonly deviceId: number;
  /** Ed25519 public key, 32 bytes. */
  readonly identityKey: Uint8Array;
}

/** Why a user id is unacceptable, or undefined when it is fine. */
export function userIdProblem(userId: string): string | undefined {
  const bytes = utf8.encode(userId);
  if (bytes.length === 0 || bytes.length > MAX_USER_ID_BYTES)
    return `user id must be 1..${MAX_USER_ID_BYTES} bytes`;
  // Lone surrogates do not survive UTF-8; refusing them keeps signed bytes and state equal.
  if (utf8.decode(bytes) !== userId) return 'user id is not well-formed Unicode';
  return undefined;
}

/** Throws InvalidArgumentError unless `d` is a well-formed member device; returns a copy. */
export function checkedMemberDevice(d: MemberDevice): MemberDevice {
  // Callers may be plain JavaScript: check the shape, not just the declared type.
  const value: unknown = d;
  if (typeof value !== 'object' || value === null)
    throw new InvalidArgumentError('member device must be an object');
  if (typeof d.userId !== 'string') throw new InvalidArgumentError('user id must be a string');
  const problem = userIdProblem(d.userId);
  if (problem) throw new InvalidArgumentError(problem);
  if (!Number.isInteger(d.deviceId) || d.deviceId < 0 || d.deviceId > 0xffffffff) {
    throw new InvalidArgumentError('device id must be a uint32');
  }
  if (!(d.identityKey instanceof Uint8Array) || d.identityKey.length !== KEY_BYTES) {
    throw new InvalidArgumentError(`identity key must be ${KEY_BYTES} bytes`);
  }
  return Object.freeze({
    userId: d.userId,
    deviceId: d.deviceId,
    identityKey: d.identityKey.slice(),
  });
}

/** Unambiguous map key for (user id, device id). */
export function deviceKey(d: Pick<MemberDevice, 'userId' | 'deviceId'>): string {
  return JSON.stringify([d.userId, d.deviceId]);
}

export function sameDevice(a: MemberDevice, b: MemberDevice): boolean {
  return (
    a.userId === b.userId &&
    a.deviceId === b.deviceId &&
    constantTimeEqual(a.identityKey, b.identityKey)
  );
}

/** Canonical order: by user id (UTF-16 code units), then device id. */
export function compareDevices(a: MemberDevice, b: MemberDevice): number {
  if (a.userId !== b.userId) return a.userId < b.userId ? -1 : 1;
  return a.deviceId - b.deviceId;
}
