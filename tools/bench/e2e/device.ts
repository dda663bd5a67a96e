/**
 * A simulated device: real protocol keys, registered (and able to log in) through the
 * gateway's public HTTP API, as in tools/bench/prekeys and the gateway's test devices.
 */
import { bytesToBase64, loginMessage, registrationMessage } from '@parley/contracts';
import type { IdentityKeyPair, OneTimePreKeyPair, SignedPreKeyPair } from '@parley/protocol';
import {
  generateIdentityKeyPair,
  generateOneTimePreKeys,
  generateSignedPreKey,
  publicSignedPreKey,
  secureRandom,
  signDeviceAuthMessage,
} from '@parley/protocol';
import type { JsonClient } from './http-client';

/** The identity key's signature over a gateway login or registration message, in base64. */
function ed25519Sign(identity: IdentityKeyPair, message: Uint8Array): string {
  return bytesToBase64(signDeviceAuthMessage(identity, message));
}

export interface DeviceAddress {
  readonly userId: string;
  readonly deviceId: number;
}

export class BenchDevice implements DeviceAddress {
  readonly identity: IdentityKeyPair;
  readonly signedPreKey: SignedPreKeyPair;
  /** One-time prekeys uploaded at registration (kept for real-encryption sessions). */
  readonly oneTimePreKeys: OneTimePreKeyPair[];
  token = '';

  constructor(
    readonly userId: string,
    readonly deviceId: number,
    oneTimePreKeys = 0,
  ) {
    this.identity = generateIdentityKeyPair(secureRandom);
    this.signedPreKey = generateSignedPreKey(this.identity, 1, secureRandom, Date.now());
    this.oneTimePreKeys =
      oneTimePreKeys > 0 ? generateOneTimePreKeys(1, oneTimePreKeys, secureRandom) : [];
  }

  get address(): DeviceAddress {
    return { userId: this.userId, deviceId: this.deviceId };
  }

  private async challenge(http: JsonClient): Promise<string> {
    const { nonce } = await http.json<{ nonce: string }>('POST', '/v1/auth/challenge', {
      userId: this.userId,
      deviceId: this.deviceId,
    });
    return nonce;
  }

  /** Challenge + signed registration (with the one-time prekeys); keeps the token. */
  async register(http: JsonClient): Promise<string> {
    const nonce = await this.challenge(http);
    const spk = publicSignedPreKey(this.signedPreKey);
    const otpks = this.oneTimePreKeys.map((k) => ({ id: k.id, publicKey: k.keyPair.publicKey }));
    const payload = {
      userId: this.userId,
      deviceId: this.deviceId,
      identityKey: this.identity.publicKey,
      signedPreKey: spk,
      ...(otpks.length ? { oneTimePreKeys: otpks } : {}),
    };
    const signature = ed25519Sign(
      this.identity,
      registrationMessage(new Uint8Array(Buffer.from(nonce, 'base64')), payload),
    );
    const { token } = await http.json<{ token: string }>('POST', '/v1/devices', {
      userId: this.userId,
      deviceId: this.deviceId,
      identityKey: bytesToBase64(this.identity.publicKey),
      signedPreKey: {
        id: spk.id,
        publicKey: bytesToBase64(spk.publicKey),
        signature: bytesToBase64(spk.signature),
      },
      ...(otpks.length
        ? {
            oneTimePreKeys: otpks.map((k) => ({ id: k.id, publicKey: bytesToBase64(k.publicKey) })),
          }
        : {}),
      nonce,
      signature,
    });
    this.token = token;
    return token;
  }

  /** Challenge + signed login; keeps the token. */
  async login(http: JsonClient): Promise<string> {
    const nonce = await this.challenge(http);
    const { token } = await http.json<{ token: string }>('POST', '/v1/auth/token', {
      userId: this.userId,
      deviceId: this.deviceId,
      nonce,
      signature: ed25519Sign(
        this.identity,
        loginMessage(new Uint8Array(Buffer.from(nonce, 'base64')), this.userId, this.deviceId),
      ),
    });
    this.token = token;
    return token;
  }
}

/** Runs `fn` over `items` with at most `concurrency` in flight. */
export async function forEachLimit<T>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const runners = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i] as T, i);
    }
  });
  await Promise.all(runners);
}
