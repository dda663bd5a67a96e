// Node entry of @parley/protocol: everything of the portable entry, plus the choice of a
// native crypto backend. Browser bundles import `@parley/protocol` and never reach this
// file, so sodium-native (a Node addon) stays out of them.
import { cryptoBackend, setCryptoBackend } from './lib/crypto/backend';
import { loadNativeBackend } from './lib/crypto/native-backend';
import { wasmBackend } from './lib/crypto/wasm-backend';

export * from './index';

/**
 * Switches X25519, Ed25519 and ChaCha20-Poly1305 to native libsodium (sodium-native).
 * Outputs are byte-identical to the default WASM backend. Returns false, leaving the WASM
 * backend in place, when the native addon cannot load on this platform.
 * `initProtocol()` is still required (HMAC and SHA-2 stay on WASM, which is faster there).
 */
export function useNativeCrypto(): boolean {
  const native = loadNativeBackend();
  if (native) setCryptoBackend(native);
  return native !== undefined;
}

/** Back to the portable libsodium WASM backend (the default). */
export function usePortableCrypto(): void {
  setCryptoBackend(wasmBackend);
}

/** Which backend is active: 'libsodium-wasm' or 'sodium-native'. */
export function activeCryptoBackend(): 'libsodium-wasm' | 'sodium-native' {
  return cryptoBackend().name;
}
