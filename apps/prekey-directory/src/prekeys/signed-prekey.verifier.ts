/**
 * Checks that a signed prekey is signed by the device's identity key, with the protocol's
 * server-side verify entry (servers never load the session code).
 */
import type { OnModuleInit } from '@nestjs/common';
import { Injectable } from '@nestjs/common';
import type { SignedPreKey } from '@parley/contracts';
import { InvalidSignatureError } from '@parley/contracts';
import { initProtocol, verifySignedPreKey } from '@parley/protocol/verify';

@Injectable()
export class SignedPreKeyVerifier implements OnModuleInit {
  /** libsodium loads its WASM once, before the first request. */
  async onModuleInit(): Promise<void> {
    await initProtocol();
  }

  /** Throws INVALID_SIGNATURE unless `preKey` carries a valid signature by `identityKey`. */
  verify(identityKey: Uint8Array, preKey: SignedPreKey): void {
    try {
      verifySignedPreKey(identityKey, preKey);
    } catch {
      // Any protocol failure here (bad signature, non-canonical point) means the same thing
      // to the caller; the contracts already fixed every size.
      throw new InvalidSignatureError('signed prekey');
    }
  }
}
