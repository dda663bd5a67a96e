/**
 * Bounds of Sender Keys. Each one caps what a hostile or broken group member (or server)
 * can make us compute or store.
 */

/** Distribution ids are 16 random bytes, as in Signal: unique per (sender, group). */
export const DISTRIBUTION_ID_BYTES = 16;

/** Sender keys treat the group id as opaque bytes; this only bounds what we store. */
export const MAX_GROUP_ID_BYTES = 64;

/**
 * Most message keys one incoming message may make us derive ahead in a chain. A server
 * fans sender-key messages out, so a receiver that was offline can see a burst of
 * delayed or lost messages; two thousand covers that while keeping the HMAC work an
 * attacker can request per message small.
 */
export const MAX_SENDER_KEY_SKIP = 2000;

/**
 * Most skipped message key seeds one chain keeps for out-of-order messages. Oldest go
 * first: a message delayed past this many later ones is lost, which bounds a record to
 * about MAX_SENDER_KEY_CHAINS x 2000 x 40 bytes.
 */
export const MAX_SKIPPED_SENDER_KEYS = 2000;

/**
 * Chains kept per (sender, distribution id): the current one and a few older ones, so
 * messages sent just before a rotation still decrypt (libsignal keeps five too).
 */
export const MAX_SENDER_KEY_CHAINS = 5;

/** Largest plaintext of one group message (an envelope limit, not a cryptographic one). */
export const MAX_SENDER_KEY_PLAINTEXT_BYTES = 64 * 1024;

/**
 * Last iteration a chain may use. The next iteration is stored as a uint32, so a chain
 * that reached it is exhausted and must rotate (in practice rotation comes much earlier).
 */
export const MAX_SENDER_KEY_ITERATION = 0xffff_fffe;

/** Largest stored SenderKeyRecord we decode: the bounds above plus framing and keys. */
export const MAX_SENDER_KEY_RECORD_BYTES = 512 * 1024;
