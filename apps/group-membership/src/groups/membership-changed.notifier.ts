/**
 * Emits `group.membership.changed` through JetStream after a change committed. The message
 * id is the group id and epoch, so publishing the same change again (a retried request
 * after a failed publish, or two instances racing on a retry) is stored once.
 */
import type { OnModuleInit } from '@nestjs/common';
import { Inject, Injectable } from '@nestjs/common';
import type { EventOf } from '@parley/contracts';
import { Events } from '@parley/contracts';
import { ensureStream, EventBus, NATS_CONNECTION, PARLEY_CONFIG } from '@parley/server-kit';
import type { NatsConnection } from 'nats';
import type { GroupMembershipConfig } from '../app/group-membership.config';

export type MembershipChangedEvent = EventOf<typeof Events.groups.membershipChanged>;

/** The stream's deduplication key of one chain entry. */
export function membershipEventId(groupId: string, epoch: number): string {
  return `membership.${groupId}.${epoch}`;
}

@Injectable()
export class MembershipChangedNotifier implements OnModuleInit {
  constructor(
    @Inject(EventBus) private readonly events: EventBus,
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
    @Inject(PARLEY_CONFIG) private readonly config: GroupMembershipConfig,
  ) {}

  /** The events stream must exist before the first publish (idempotent across instances). */
  async onModuleInit(): Promise<void> {
    await ensureStream(this.nc, 'events', { namespace: this.config.PARLEY_NATS_PREFIX });
  }

  async notify(event: MembershipChangedEvent): Promise<void> {
    await this.events.publish(
      Events.groups.membershipChanged,
      event,
      membershipEventId(event.groupId, event.epoch),
    );
  }
}
