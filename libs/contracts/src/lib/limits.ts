/**
 * Size and count limits of the contracts, each with its reason. Services may enforce
 * tighter policies; the contracts refuse anything beyond these at the edge.
 */

const KiB = 1024;

/** nats-server's default `max_payload`: one request, reply or event must fit in it. */
export const NATS_MAX_PAYLOAD_BYTES = 1024 * KiB;

/** User, group, gateway and message ids become NATS subject tokens, so they stay short. */
export const ID_MAX_LENGTH = 64;

/** Device ids are the protocol's uint32 device numbers; 0 is reserved for "no device". */
export const DEVICE_ID_MAX = 0xffff_ffff;

/** Prekey ids are the protocol's uint32 ids. */
export const PREKEY_ID_MAX = 0xffff_ffff;

/** Ed25519 identity public key, X25519 prekey public key and Ed25519 signature sizes. */
export const PUBLIC_KEY_BYTES = 32;
export const SIGNATURE_BYTES = 64;

/** Signal clients upload 100 one-time prekeys at a time; a batch stays one small insert. */
export const MAX_ONE_TIME_PREKEYS_PER_UPLOAD = 100;

/** A device's one-time prekey stock beyond this is refused (bounds the table per device). */
export const MAX_ONE_TIME_PREKEY_STOCK = 1000;

/** Under this many one-time prekeys left, the directory emits `prekeys.low`. */
export const PREKEY_LOW_THRESHOLD = 25;

/** Devices per user: bounds a bundle reply and the envelopes of one pairwise send. */
export const MAX_DEVICES_PER_USER = 16;

/**
 * One encrypted message (pairwise envelope or sender-key ciphertext). Equal to the
 * protocol's MAX_WIRE_BYTES: a larger message could never be decoded by a recipient.
 */
export const MAX_MESSAGE_CONTENT_BYTES = 96 * KiB;

/** Envelopes in one pairwise send: a fan-out to this many devices in one request. */
export const MAX_ENVELOPES_PER_SEND = 512;

/**
 * Sum of envelope contents in one send: base64 (x4/3) plus JSON overhead must stay
 * under NATS_MAX_PAYLOAD_BYTES. Bigger fan-outs should use sender keys.
 */
export const MAX_SEND_CONTENT_TOTAL_BYTES = 640 * KiB;

/** Members of one group (users). */
export const MAX_GROUP_MEMBERS = 1000;

/** Users added or removed by one membership change. */
export const MAX_MEMBERS_PER_CHANGE = 100;

/** A signed membership change: up to MAX_MEMBERS_PER_CHANGE ids, keys and a signature. */
export const MAX_MEMBERSHIP_CHANGE_BYTES = 16 * KiB;

/** Membership changes per chain page. */
export const MAX_CHAIN_PAGE = 50;

/**
 * Messages per mailbox page, and message ids per ack. A device back after a long time offline
 * drains in a fifth of the requests that pages of 100 took (bench:e2e drain, 100,000 messages:
 * 12,458/s with pages of 100, 15,868-16,285/s with 500).
 */
export const MAX_MAILBOX_PAGE = 500;
export const DEFAULT_MAILBOX_PAGE = 50;

/**
 * Content bytes per mailbox page: as base64 (x4/3) plus up to MAX_MAILBOX_PAGE messages'
 * fields (ids, sender, group, timestamps: about 330 bytes each at their longest), a page must
 * fit one NATS message (a test holds it).
 */
export const MAX_MAILBOX_PAGE_CONTENT_BYTES = 576 * KiB;

/** Web Push endpoint URLs (push services' URLs are far shorter; RFC 8030 sets no bound). */
export const MAX_PUSH_ENDPOINT_LENGTH = 2048;

/** FCM registration tokens are ~160-200 chars today; Google documents no fixed length. */
export const MAX_PUSH_TOKEN_LENGTH = 4096;

/** Human-readable error messages crossing NATS. */
export const MAX_ERROR_MESSAGE_LENGTH = 1024;
