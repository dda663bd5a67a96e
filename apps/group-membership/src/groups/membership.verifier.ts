/**
 * The protocol's membership-chain rules, as the service applies them: every change is
 * checked by `applyMembershipChange` (the same code clients run), and a refusal becomes the
 * typed ParleyError callers switch on. Refusal messages name the protocol's reason only.
 */
import type { OnModuleInit } from '@nestjs/common';
import { Injectable } from '@nestjs/common';
import type { ParleyError } from '@parley/contracts';
import {
  ConflictError,
  EpochConflictError,
  ForbiddenError,
  InvalidSignatureError,
  ValidationFailedError,
} from '@parley/contracts';
import type { GroupMembershipState } from '@parley/protocol/verify';
import {
  applyMembershipChange,
  DecodeError,
  initProtocol,
  MembershipError,
} from '@parley/protocol/verify';

export type { GroupMembershipState };

@Injectable()
export class MembershipVerifier implements OnModuleInit {
  async onModuleInit(): Promise<void> {
    await initProtocol();
  }

  /** Verifies a genesis (epoch 0) change. */
  genesis(change: Uint8Array): GroupMembershipState {
    return this.apply(undefined, change, 0);
  }

  /** Verifies `change` as the successor of `state` (the stored head). */
  next(state: GroupMembershipState, change: Uint8Array): GroupMembershipState {
    return this.apply(state, change, state.epoch);
  }

  /** Rebuilds the head from stored changes (already verified once; checked again anyway). */
  replay(changes: readonly Uint8Array[]): GroupMembershipState {
    let state: GroupMembershipState | undefined;
    for (const change of changes) state = applyMembershipChange(state, change);
    if (!state) throw new Error('a stored group without a chain');
    return state;
  }

  private apply(
    state: GroupMembershipState | undefined,
    change: Uint8Array,
    currentEpoch: number,
  ): GroupMembershipState {
    try {
      return applyMembershipChange(state, change);
    } catch (error) {
      throw refusal(error, currentEpoch);
    }
  }
}

/** The ParleyError for a protocol refusal; anything else is rethrown as it is (a bug). */
function refusal(error: unknown, currentEpoch: number): ParleyError {
  if (error instanceof DecodeError) {
    return new ValidationFailedError(
      [{ path: 'change', message: `malformed membership change (${error.failure})` }],
      `invalid membership change: ${error.failure}`,
    );
  }
  if (!(error instanceof MembershipError)) throw error;
  const reason = error.reason;
  switch (reason) {
    case 'UNSIGNED':
    case 'BAD_SIGNATURE':
      return new InvalidSignatureError('membership change');
    case 'NOT_ADMIN':
      return new ForbiddenError('the author may not make this membership change (NOT_ADMIN)');
    // Built on another head than ours: the caller must fetch the chain and rebuild.
    case 'REPLAYED':
    case 'OUT_OF_ORDER':
    case 'FORK':
      return new EpochConflictError(
        currentEpoch,
        `membership change does not follow the current head (${reason})`,
      );
    // Well-formed but not allowed by the current state.
    case 'INVALID_SUBJECT':
    case 'LAST_ADMIN':
    case 'TOO_MANY_MEMBERS':
      return new ConflictError(
        `membership-${reason.toLowerCase().replace(/_/g, '-')}`,
        `membership change refused: ${reason}`,
      );
    case 'WRONG_GROUP':
    case 'BAD_GENESIS':
    case 'EMPTY_CHAIN':
      return new ValidationFailedError(
        [{ path: 'change', message: `membership change refused: ${reason}` }],
        `invalid membership change: ${reason}`,
      );
  }
}
