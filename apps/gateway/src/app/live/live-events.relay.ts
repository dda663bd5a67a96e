/**
 * Forwards events to the sockets of this instance: `prekeys.low` to the device concerned,
 * `group.membership.changed` to every connected device of the group's members and of the
 * users the change names (added, or removed: they learn they are out), and `mailbox.resync`
 * (a message-delivery instance started) as a `sync` frame to every socket, in slices of
 * SYNC_SLICE so a large instance keeps serving meanwhile.
 *
 * Plain core-NATS subscriptions on the event subjects, no queue group and no durable
 * consumer: every gateway instance must see every event, and an event for a device that is
 * not connected anywhere needs no replay (the client reads the chain and its stock when it
 * connects). JetStream publishes reach core subscribers like any message.
 *
 * Members are looked up with groups.listMembers, only when some user connected here might
 * be a member, asking as the change's actor (a member after any change except leaving the
 * group). After a member left, the instance asks as a member it saw in an earlier lookup
 * of that group (kept for the last GROUP_CACHE_MAX groups); with none known, only the
 * leaver is told.
 */
import type {
  BeforeApplicationShutdown,
  OnApplicationBootstrap,
  OnModuleDestroy,
} from '@nestjs/common';
import { Inject, Injectable } from '@nestjs/common';
import type { EventContract, EventOf, ServerFrameWire } from '@parley/contracts';
import { Events, namespaced, Rpc } from '@parley/contracts';
import { NATS_CONNECTION, PARLEY_CONFIG, PARLEY_LOGGER, RpcClient } from '@parley/server-kit';
import type { Msg, NatsConnection, NatsError, Subscription } from 'nats';
import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import type { GatewayConfig } from '../../gateway.config';
import { ConnectionRegistry } from './connection.registry';

type MembershipChanged = EventOf<typeof Events.groups.membershipChanged>;

/** Recently relayed membership changes: a re-published event (a retried change) is relayed once. */
const SEEN_CHANGES_MAX = 4096;
/** Groups whose last looked-up members are remembered (to ask as after a leave). */
const GROUP_CACHE_MAX = 10_000;
const WS_OPEN = 1;
/** Sockets sent a `sync` frame per turn of the event loop. */
export const SYNC_SLICE = 1_000;
const SYNC_FRAME = JSON.stringify({ type: 'sync' } satisfies ServerFrameWire);

@Injectable()
export class LiveEventsRelay
  implements OnApplicationBootstrap, OnModuleDestroy, BeforeApplicationShutdown
{
  private readonly subscriptions: Subscription[] = [];
  private readonly seenChanges = new Set<string>();
  /** groupId -> members at the last lookup (insertion order = least recently used first). */
  private readonly knownMembers = new Map<string, readonly string[]>();
  private readonly pending = new Set<Promise<void>>();

  constructor(
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
    @Inject(RpcClient) private readonly rpc: RpcClient,
    @Inject(ConnectionRegistry) private readonly registry: ConnectionRegistry<WebSocket>,
    @Inject(PARLEY_CONFIG) private readonly config: GatewayConfig,
    @Inject(PARLEY_LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    // A hybrid app runs the hook for its HTTP side and again for its NATS side.
    if (this.subscriptions.length > 0) return;
    this.subscribe(Events.prekeys.low, (event) => {
      this.onPreKeysLow(event);
    });
    this.subscribe(Events.delivery.mailboxResync, () => {
      this.track(this.sendSync());
    });
    this.subscribe(Events.groups.membershipChanged, (event) => {
      this.track(
        this.onMembershipChanged(event).catch((error: unknown) => {
          this.logger.warn(
            { err: { type: (error as Error).name }, code: (error as { code?: string }).code },
            'membership frame relay failed',
          );
        }),
      );
    });
  }

  /** Relay work that shutdown waits for. */
  private track(work: Promise<void>): void {
    this.pending.add(work);
    void work.finally(() => this.pending.delete(work));
  }

  /** Lets relays in progress (member lookups) finish before NATS closes. */
  async beforeApplicationShutdown(): Promise<void> {
    await Promise.allSettled([...this.pending]);
  }

  onModuleDestroy(): void {
    for (const s of this.subscriptions.splice(0)) s.unsubscribe();
  }

  private subscribe<C extends EventContract>(
    contract: C,
    handle: (event: EventOf<C>) => void,
  ): void {
    const subject = namespaced(this.config.PARLEY_NATS_PREFIX, contract.subject);
    const subscription = this.nc.subscribe(subject, {
      callback: (error: NatsError | null, msg: Msg) => {
        if (error) return;
        const event = decodeEvent(contract, msg);
        if (event === undefined) {
          this.logger.warn({ subject: contract.subject }, 'malformed event ignored');
          return;
        }
        handle(event);
      },
    });
    this.subscriptions.push(subscription);
  }

  private onPreKeysLow(event: EventOf<typeof Events.prekeys.low>): void {
    const socket = this.registry.get({ userId: event.userId, deviceId: event.deviceId });
    if (socket) {
      send(socket, {
        type: 'prekeys-low',
        remaining: event.remaining,
        threshold: event.threshold,
      });
    }
  }

  private async sendSync(): Promise<void> {
    const sockets = this.registry.sockets();
    for (let i = 0; i < sockets.length; i += SYNC_SLICE) {
      if (i > 0) await new Promise((resolve) => setImmediate(resolve));
      for (const socket of sockets.slice(i, i + SYNC_SLICE)) {
        if (socket.readyState === WS_OPEN) socket.send(SYNC_FRAME);
      }
    }
  }

  private async onMembershipChanged(event: MembershipChanged): Promise<void> {
    if (this.registry.size === 0) return;
    const key = `${event.groupId}:${event.epoch}`;
    if (this.seenChanges.has(key)) return;
    this.seenChanges.add(key);
    if (this.seenChanges.size > SEEN_CHANGES_MAX) {
      const oldest = this.seenChanges.values().next();
      if (!oldest.done) this.seenChanges.delete(oldest.value);
    }

    const users = new Set(event.userIds);
    if (event.kind === 'created') this.remember(event.groupId, event.userIds);
    else if (this.registry.size > this.connectedAmong(users)) {
      for (const member of await this.membersAfter(event)) users.add(member);
    }
    const frame = JSON.stringify({
      type: 'membership',
      groupId: event.groupId,
      epoch: event.epoch,
      kind: event.kind,
      userIds: event.userIds,
    } satisfies ServerFrameWire);
    for (const userId of users) {
      for (const socket of this.registry.socketsOfUser(userId)) {
        if (socket.readyState === WS_OPEN) socket.send(frame);
      }
    }
  }

  /** The group's members after `event` (as far as they can be learnt). */
  private async membersAfter(event: MembershipChanged): Promise<readonly string[]> {
    const gone = event.kind === 'removed' ? new Set(event.userIds) : new Set<string>();
    const known = this.knownMembers.get(event.groupId) ?? [];
    const requester = gone.has(event.actor.userId)
      ? known.find((u) => !gone.has(u))
      : event.actor.userId;
    if (requester === undefined) return [];
    try {
      const reply = await this.rpc.requestWire(Rpc.groups.listMembers, {
        groupId: event.groupId,
        requester,
      });
      const members = reply.members.map((m) => m.userId);
      this.remember(event.groupId, members);
      return members;
    } catch (error) {
      // A remembered member may have left since: fall back to what is known.
      if (requester === event.actor.userId) throw error;
      return known.filter((u) => !gone.has(u));
    }
  }

  private remember(groupId: string, members: readonly string[]): void {
    this.knownMembers.delete(groupId);
    this.knownMembers.set(groupId, members);
    if (this.knownMembers.size > GROUP_CACHE_MAX) {
      const oldest = this.knownMembers.keys().next();
      if (!oldest.done) this.knownMembers.delete(oldest.value);
    }
  }

  /** Connected devices of `users` here (all of them need no member lookup). */
  private connectedAmong(users: ReadonlySet<string>): number {
    let n = 0;
    for (const userId of users) n += this.registry.socketsOfUser(userId).length;
    return n;
  }
}

function decodeEvent<C extends EventContract>(contract: C, msg: Msg): EventOf<C> | undefined {
  try {
    const parsed = contract.schema.safeParse(msg.json());
    return parsed.success ? (parsed.data as EventOf<C>) : undefined;
  } catch {
    return undefined;
  }
}

function send(socket: WebSocket, frame: ServerFrameWire): void {
  if (socket.readyState === WS_OPEN) socket.send(JSON.stringify(frame));
}
