/** A benchmark device: real protocol keys, registered and logged in through the gateway's HTTP API. */
import { bytesToBase64 } from '@parley/contracts';
import type { IdentityKeyPair } from '@parley/protocol';
import {
  generateIdentityKeyPair,
  generateOneTimePreKeys,
  generateSignedPreKey,
  publicSignedPreKey,
  secureRandom,
  signDeviceAuthMessage,
} from '@parley/protocol';
import { registrationMessage } from '@parley/contracts';

/** The identity key's signature over a gateway login or registration message, in base64. */
function ed25519Sign(identity: IdentityKeyPair, message: Uint8Array): string {
  return bytesToBase64(signDeviceAuthMessage(identity, message));
}

async function post(base: string, path: string, body: unknown, token?: string): Promise<unknown> {
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify(body),
  });
  const json: unknown = await res.json();
  if (!res.ok) throw new Error(`${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** Registers a device with `preKeys` one-time prekeys (batches of 100); returns its token. */
export async function registerDevice(
  base: string,
  userId: string,
  deviceId: number,
  preKeys: number,
): Promise<string> {
  const identity = generateIdentityKeyPair(secureRandom);
  const spk = publicSignedPreKey(generateSignedPreKey(identity, 1, secureRandom, Date.now()));
  const { nonce } = (await post(base, '/v1/auth/challenge', { userId, deviceId })) as {
    nonce: string;
  };
  const nonceBytes = new Uint8Array(Buffer.from(nonce, 'base64'));
  const payload = { userId, deviceId, identityKey: identity.publicKey, signedPreKey: spk };
  const { token } = (await post(base, '/v1/devices', {
    userId,
    deviceId,
    identityKey: bytesToBase64(identity.publicKey),
    signedPreKey: {
      id: spk.id,
      publicKey: bytesToBase64(spk.publicKey),
      signature: bytesToBase64(spk.signature),
    },
    nonce,
    signature: ed25519Sign(identity, registrationMessage(nonceBytes, payload)),
  })) as { token: string };
  for (let first = 1; first <= preKeys; first += 100) {
    const batch = generateOneTimePreKeys(first, Math.min(100, preKeys - first + 1), secureRandom);
    await post(
      base,
      `/v1/users/${userId}/devices/${deviceId}/one-time-prekeys`,
      { preKeys: batch.map((k) => ({ id: k.id, publicKey: bytesToBase64(k.keyPair.publicKey) })) },
      token,
    );
  }
  return token;
}
