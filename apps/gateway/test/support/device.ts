/**
 * A simulated client device: real keys from libs/protocol, and the signatures the gateway
 * asks for (Node's Ed25519 over the libsodium-made identity key, so the two
 * implementations are checked against each other).
 */
import { createPrivateKey, sign } from 'node:crypto';
import { bytesToBase64 } from '@parley/contracts';
import type {
  IdentityKeyPair,
  OneTimePreKeyPair,
  RandomSource,
  SignedPreKeyPair,
} from '@parley/protocol';
import {
  generateIdentityKeyPair,
  generateOneTimePreKeys,
  generateSignedPreKey,
  publicOneTimePreKey,
  publicSignedPreKey,
  secureRandom,
} from '@parley/protocol';
import { loginMessage, registrationMessage } from '@parley/contracts';
import { http } from './harness';

const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

export function ed25519Sign(identity: IdentityKeyPair, message: Uint8Array): Uint8Array {
  const key = createPrivateKey({
    key: Buffer.concat([PKCS8_ED25519_PREFIX, identity.secretKey.subarray(0, 32)]),
    format: 'der',
    type: 'pkcs8',
  });
  return new Uint8Array(sign(null, message, key));
}

export class TestDevice {
  readonly identity: IdentityKeyPair;
  readonly signedPreKey: SignedPreKeyPair;
  private nextPreKeyId = 1;
  token: string | undefined;

  constructor(
    readonly userId: string,
    readonly deviceId: number,
    random: RandomSource = secureRandom,
  ) {
    this.identity = generateIdentityKeyPair(random);
    this.signedPreKey = generateSignedPreKey(this.identity, 1, random, Date.now());
  }

  oneTimePreKeys(count: number): OneTimePreKeyPair[] {
    const keys = generateOneTimePreKeys(this.nextPreKeyId, count, secureRandom);
    this.nextPreKeyId += count;
    return keys;
  }

  /** The registration body for `nonce`, signed (or with `forge`, signed by another key). */
  registrationBody(
    nonce: Uint8Array,
    oneTimePreKeys: OneTimePreKeyPair[] = [],
    signer = this.identity,
  ) {
    const payload = {
      userId: this.userId,
      deviceId: this.deviceId,
      identityKey: this.identity.publicKey,
      signedPreKey: publicSignedPreKey(this.signedPreKey),
      ...(oneTimePreKeys.length ? { oneTimePreKeys: oneTimePreKeys.map(publicOneTimePreKey) } : {}),
    };
    const signature = ed25519Sign(signer, registrationMessage(nonce, payload));
    return {
      userId: this.userId,
      deviceId: this.deviceId,
      identityKey: bytesToBase64(payload.identityKey),
      signedPreKey: {
        id: payload.signedPreKey.id,
        publicKey: bytesToBase64(payload.signedPreKey.publicKey),
        signature: bytesToBase64(payload.signedPreKey.signature),
      },
      ...(payload.oneTimePreKeys
        ? {
            oneTimePreKeys: payload.oneTimePreKeys.map((k) => ({
              id: k.id,
              publicKey: bytesToBase64(k.publicKey),
            })),
          }
        : {}),
      nonce: bytesToBase64(nonce),
      signature: bytesToBase64(signature),
    };
  }

  loginBody(nonce: Uint8Array, signer = this.identity) {
    return {
      userId: this.userId,
      deviceId: this.deviceId,
      nonce: bytesToBase64(nonce),
      signature: bytesToBase64(
        ed25519Sign(signer, loginMessage(nonce, this.userId, this.deviceId)),
      ),
    };
  }

  async challenge(base: string): Promise<Uint8Array> {
    const res = await http<{ nonce: string }>(base, 'POST', '/v1/auth/challenge', {
      body: { userId: this.userId, deviceId: this.deviceId },
    });
    if (res.status !== 200) throw new Error(`challenge: ${res.status} ${JSON.stringify(res.body)}`);
    return new Uint8Array(Buffer.from(res.body.nonce, 'base64'));
  }

  /** Challenge + signed registration; keeps the token of the reply. */
  async register(base: string, oneTimePreKeys = 0) {
    const nonce = await this.challenge(base);
    const res = await http<{ token: string }>(base, 'POST', '/v1/devices', {
      body: this.registrationBody(nonce, this.oneTimePreKeys(oneTimePreKeys)),
    });
    if (res.status !== 201) throw new Error(`register: ${res.status} ${JSON.stringify(res.body)}`);
    this.token = res.body.token;
    return res;
  }

  /** Challenge + signed login; keeps the token. */
  async login(base: string): Promise<string> {
    const nonce = await this.challenge(base);
    const res = await http<{ token: string }>(base, 'POST', '/v1/auth/token', {
      body: this.loginBody(nonce),
    });
    if (res.status !== 200) throw new Error(`login: ${res.status} ${JSON.stringify(res.body)}`);
    this.token = res.body.token;
    return res.body.token;
  }

  uploadBody(keys: OneTimePreKeyPair[]) {
    return {
      preKeys: keys.map((k) => ({ id: k.id, publicKey: bytesToBase64(k.keyPair.publicKey) })),
    };
  }
}
