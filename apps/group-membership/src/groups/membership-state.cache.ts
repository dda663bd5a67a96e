/**
 * Verified chain heads by group id, least recently used out first. A hit is used only when
 * its epoch and head hash equal the stored head read under the group's lock, so a head that
 * another instance moved is never trusted; a miss replays the stored chain.
 */
import { Inject, Injectable } from '@nestjs/common';
import { PARLEY_CONFIG } from '@parley/server-kit';
import type { GroupMembershipConfig } from '../app/group-membership.config';
import type { GroupHead } from './groups.repository';
import type { GroupMembershipState } from './membership.verifier';

@Injectable()
export class MembershipStateCache {
  private readonly states = new Map<string, GroupMembershipState>();
  private readonly capacity: number;

  constructor(@Inject(PARLEY_CONFIG) config: GroupMembershipConfig) {
    this.capacity = config.GROUPS_STATE_CACHE_SIZE;
  }

  get(groupId: string, head: GroupHead): GroupMembershipState | undefined {
    const state = this.states.get(groupId);
    if (!state) return undefined;
    this.states.delete(groupId);
    if (state.epoch !== head.epoch || !equalBytes(state.headHash, head.headHash)) return undefined;
    this.states.set(groupId, state);
    return state;
  }

  set(groupId: string, state: GroupMembershipState): void {
    if (this.capacity === 0) return;
    this.states.delete(groupId);
    this.states.set(groupId, state);
    if (this.states.size > this.capacity) {
      const oldest = this.states.keys().next();
      if (!oldest.done) this.states.delete(oldest.value);
    }
  }
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
