/**
 * Bounds of group membership and pairwise fan-out. Each caps what a hostile admin,
 * member or server can make a client verify, store or encrypt.
 */

/** A group id is SHA-256 of the encoded genesis change. */
export const GROUP_ID_BYTES = 32;

/** SHA-256: the link from each change to the one before. */
export const MEMBERSHIP_HASH_BYTES = 32;

/** Random bytes in the genesis change, so each created group gets its own id. */
export const GROUP_NONCE_BYTES = 16;

/**
 * Most member devices in a group. Pairwise fan-out costs one encryption per device and
 * Sender Keys one distribution per device pair, so a cap near Signal's 1000-member groups
 * (counted in devices here) keeps both bounded.
 */
export const MAX_GROUP_DEVICES = 1024;

/** Most devices one change may add, remove, promote or demote (bounds a change's size). */
export const MAX_SUBJECTS_PER_CHANGE = 256;

/** Longest user id, in UTF-8 bytes (ids are server-assigned handles, not display names). */
export const MAX_USER_ID_BYTES = 128;

/** Largest encoded SignedMembershipChange: MAX_SUBJECTS_PER_CHANGE full subjects + framing. */
export const MAX_MEMBERSHIP_CHANGE_BYTES = 48 * 1024;

/** Largest stored GroupMembershipRecord: MAX_GROUP_DEVICES members + framing. */
export const MAX_MEMBERSHIP_RECORD_BYTES = 200 * 1024;

/**
 * How many epochs behind ours a pairwise group message may be. A sender who has not yet
 * seen the latest changes still reaches us (if still a member now); one further behind
 * is refused, since it encrypted to a member list long out of date.
 */
export const MAX_PAIRWISE_EPOCH_LAG = 16;

/** Largest body of a pairwise group message (matches the 1:1 plaintext limit). */
export const MAX_PAIRWISE_GROUP_BODY_BYTES = 60 * 1024;
