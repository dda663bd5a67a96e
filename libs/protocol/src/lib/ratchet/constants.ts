/**
 * Bounds of the Double Ratchet. Each one caps what a hostile or broken peer can make us
 * compute or store.
 */

/**
 * Most message keys one incoming message may make us skip in a single chain. Covers a
 * burst of a thousand lost or delayed messages; beyond that a message is refused rather
 * than spending time deriving keys an attacker asked for.
 */
export const MAX_SKIP = 1000;

/**
 * Most skipped message keys kept across all chains of a session. Oldest go first: a
 * message delayed past this many later gaps is lost, which bounds state size (each entry
 * is about 70 bytes serialized).
 */
export const MAX_SKIPPED_KEYS_TOTAL = 2000;

/**
 * Ratchet public keys of earlier receiving chains that we remember, so a late duplicate
 * from an old chain is reported as a duplicate instead of a failed decryption.
 */
export const MAX_PREVIOUS_RATCHET_KEYS = 8;

/** Largest plaintext one message carries (an envelope limit, not a cryptographic one). */
export const MAX_PLAINTEXT_BYTES = 64 * 1024;
