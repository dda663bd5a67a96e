/** The events a ParleyClient emits, and their payloads. */
import type { DeviceAddress } from './addresses';
import type { GroupInfo } from './groups';
import type { UndecryptableReason } from './receive-errors';

export interface IncomingMessage {
  readonly messageId: string;
  readonly from: DeviceAddress;
  readonly text: string;
  /** Set for group messages. */
  readonly groupId?: string;
  /** Set on the copy of a 1:1 message that our own other device sent to `to`. */
  readonly to?: string;
  /** The sender's clock (ms). */
  readonly sentAt: number;
}

export interface UndecryptableMessage {
  readonly messageId: string;
  readonly from: DeviceAddress;
  readonly reason: UndecryptableReason;
  readonly groupId?: string;
}

export interface ParleyEvents {
  message: IncomingMessage;
  undecryptable: UndecryptableMessage;
  /** A group this device learned of, or whose membership changed. */
  group: GroupInfo;
  /**
   * A peer device now has another identity key than its session had (a reinstall, or a
   * substituted key): the safety number changed, tell the user.
   */
  'identity-changed': { readonly peer: DeviceAddress; readonly identityKey: Uint8Array };
  /** A peer device started a new session with us (after it could not decrypt ours). */
  'session-reset': { readonly peer: DeviceAddress };
  connected: undefined;
  disconnected: { readonly reason: string };
  /** Failures outside any one call (a frame that cannot be handled, a failed replenish...). */
  error: unknown;
}
