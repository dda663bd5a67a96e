/**
 * The one identity-key signature a client makes outside the protocol's own messages: the
 * gateway's login and registration challenges (framed by @parley/contracts'
 * loginMessage / registrationMessage). Only messages that start with one of those
 * length-prefixed contexts are signed, so this can never be used to sign a signed prekey,
 * a membership change or any other Parley structure.
 */
import { utf8 } from '../bytes';
import { ed25519Sign } from '../crypto/primitives';
import { InvalidArgumentError } from '../errors';
import type { IdentityKeyPair } from '../identity/identity-key';

const AUTH_CONTEXT_PREFIXES = ['ParleyAuth/', 'ParleyRegister/'].map((p) => utf8.encode(p));

function hasAuthContext(message: Uint8Array): boolean {
  const length = message[0];
  if (length === undefined || message.length < 1 + length) return false;
  const context = message.subarray(1, 1 + length);
  return AUTH_CONTEXT_PREFIXES.some(
    (prefix) => context.length > prefix.length && prefix.every((b, i) => context[i] === b),
  );
}

/** Ed25519 signature by the device's identity key over a gateway auth message. */
export function signDeviceAuthMessage(identity: IdentityKeyPair, message: Uint8Array): Uint8Array {
  if (!(message instanceof Uint8Array) || !hasAuthContext(message)) {
    throw new InvalidArgumentError('not a gateway login or registration message');
  }
  return ed25519Sign(identity.secretKey, message);
}
