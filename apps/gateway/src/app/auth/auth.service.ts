/**
 * Passwordless device authentication. A device asks for a challenge, signs it with its
 * identity key and gets a bearer token; a new device signs its registration the same way
 * with the key it registers. A nonce is consumed before the signature is checked, so a
 * wrong answer burns it: every attempt needs a new challenge.
 */
import { Inject, Injectable } from '@nestjs/common';
import type { DeviceAddress, ReplyOf, RequestOf } from '@parley/contracts';
import { Rpc, UnauthenticatedError } from '@parley/contracts';
import { DeviceDirectoryClient } from '../devices/device-directory.client';
import { loginMessage, registrationMessage } from '@parley/contracts';
import { ChallengeStore } from './challenge.store';
import type { IssuedChallenge } from './challenge.store';
import { verifyEd25519 } from './ed25519';
import { TokenStore } from './token.store';
import type { IssuedToken } from './token.store';

export interface SignedLogin extends DeviceAddress {
  readonly nonce: Uint8Array;
  readonly signature: Uint8Array;
}

export type SignedRegistration = RequestOf<typeof Rpc.prekeys.registerDevice> & {
  readonly nonce: Uint8Array;
  readonly signature: Uint8Array;
};

export type Registered = ReplyOf<typeof Rpc.prekeys.registerDevice> & {
  readonly token: IssuedToken;
};

// One message for every refusal: a caller learns nothing about which check failed.
const REFUSED = 'challenge answer refused';

@Injectable()
export class AuthService {
  constructor(
    @Inject(ChallengeStore) private readonly challenges: ChallengeStore,
    @Inject(TokenStore) private readonly tokens: TokenStore,
    @Inject(DeviceDirectoryClient) private readonly directory: DeviceDirectoryClient,
  ) {}

  challenge(device: DeviceAddress): Promise<IssuedChallenge> {
    return this.challenges.issue(device.userId, device.deviceId);
  }

  async login(req: SignedLogin): Promise<IssuedToken> {
    const device = { userId: req.userId, deviceId: req.deviceId };
    if (!(await this.challenges.consume(req.nonce, req.userId, req.deviceId))) {
      throw new UnauthenticatedError(REFUSED);
    }
    // NOT_FOUND for a device nobody registered: the caller needs to register first.
    const identityKey = await this.directory.identityKeyOf(device);
    const message = loginMessage(req.nonce, req.userId, req.deviceId);
    if (!verifyEd25519(identityKey, message, req.signature)) {
      throw new UnauthenticatedError(REFUSED);
    }
    return this.tokens.issue(device);
  }

  /** Registers after the proof of possession; the reply carries a first token. */
  async register(req: SignedRegistration): Promise<Registered> {
    const { nonce, signature, ...payload } = req;
    if (!(await this.challenges.consume(nonce, payload.userId, payload.deviceId))) {
      throw new UnauthenticatedError(REFUSED);
    }
    if (!verifyEd25519(payload.identityKey, registrationMessage(nonce, payload), signature)) {
      throw new UnauthenticatedError('registration signature refused');
    }
    const reply = await this.directory.rpc.request(Rpc.prekeys.registerDevice, payload);
    const token = await this.tokens.issue({ userId: reply.userId, deviceId: reply.deviceId });
    return { ...reply, token };
  }
}
