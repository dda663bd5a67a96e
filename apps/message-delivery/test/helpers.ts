/**
 * Test fixtures: migrated databases of their own, a NATS namespace of its own, instances of
 * the real services (message-delivery, and the prekey-directory and group-membership it asks
 * about recipients), and a caller speaking the contracts.
 */
import { Client } from 'pg';
import { Events, namespaced, namespacedName, STREAMS } from '@parley/contracts';
import { setTimeout as sleep } from 'node:timers/promises';
import type {
  DeviceAddress,
  EventOf,
  ParleyError,
  ReplyOf,
  RequestOf,
  RpcContract,
} from '@parley/contracts';
import { Rpc } from '@parley/contracts';
import type { GroupMembershipState, IdentityKeyPair, MemberDevice } from '@parley/protocol';
import {
  buildMembershipChange,
  createGroup,
  deterministicRandom,
  generateIdentityKeyPair,
  initProtocol,
} from '@parley/protocol';
import type { RunningService } from '@parley/server-kit';
import { createLogger, loadConfig, request } from '@parley/server-kit';
import type { TestDatabase } from '@parley/testing';
import { createTestDatabase, testNatsUrl, uniqueSubjectPrefix } from '@parley/testing';
import type { NatsConnection } from 'nats';
import { connect } from 'nats';
// The integration tests boot the real directory and group service in this process (their own
// modules and databases, the shared namespace); only tests reach into another app.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { GroupMembershipEnvSchema } from '../../group-membership/src/app/group-membership.config';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { startGroupMembership } from '../../group-membership/src/app/start-group-membership';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { PrekeyDirectoryEnvSchema } from '../../prekey-directory/src/app/prekey-directory.config';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { startPrekeyDirectory } from '../../prekey-directory/src/app/start-prekey-directory';
import type { MessageDeliveryConfig } from '../src/app/message-delivery.config';
import { MessageDeliveryEnvSchema } from '../src/app/message-delivery.config';
import { startMessageDelivery } from '../src/app/start-message-delivery';

export interface HarnessOptions {
  /** Also run group-membership (default false). */
  readonly groups?: boolean;
  /** Run prekey-directory in this process (default true; stress runs spawn their own). */
  readonly directory?: boolean;
  /** Run message-delivery in this process (default true; process tests run their own). */
  readonly delivery?: boolean;
  /** Another nats-server (fault tests run a private one). */
  readonly natsUrl?: string;
}

/** A group made through group-membership, with the protocol state to change it further. */
export interface TestGroup {
  readonly groupId: string;
  state: GroupMembershipState;
}

export interface Harness {
  readonly namespace: string;
  readonly db: TestDatabase;
  readonly directoryDb: TestDatabase;
  readonly nc: NatsConnection;
  readonly service: RunningService | undefined;
  readonly natsUrl: string;
  call<C extends RpcContract>(
    contract: C,
    payload: RequestOf<C>,
    timeoutMs?: number,
  ): Promise<ReplyOf<C>>;
  /**
   * Makes these devices current in the directory (seeded rows, as registration leaves them)
   * and announces them on `prekeys.devices-changed`, as registration does.
   */
  register(...devices: DeviceAddress[]): Promise<void>;
  /** Removes a device from the directory (it becomes stale), announced the same way. */
  unregister(device: DeviceAddress): Promise<void>;
  /** `stored-for-offline-device` events for one device that this namespace's stream holds. */
  offlineEvents(device: DeviceAddress): Promise<OfflineEvent[]>;
  /** offlineEvents once at least `n` are there (or after 5 s, whatever there is). */
  waitForOfflineEvents(device: DeviceAddress, n: number): Promise<OfflineEvent[]>;
  /** A group of these users, `admin` its creator (signed by the protocol as clients do). */
  createGroup(admin: DeviceAddress, others: readonly string[]): Promise<TestGroup>;
  /** Adds or removes users (as the admin); the group's epoch moves on. */
  changeGroup(
    group: TestGroup,
    admin: DeviceAddress,
    kind: 'add' | 'remove',
    userIds: readonly string[],
  ): Promise<number>;
  close(): Promise<void>;
}

export type OfflineEvent = EventOf<typeof Events.delivery.storedForOfflineDevice>;

export function testConfig(
  namespace: string,
  databaseUrl: string,
  env: Record<string, string> = {},
): MessageDeliveryConfig {
  return loadConfig(MessageDeliveryEnvSchema, {
    PARLEY_NATS_URL: testNatsUrl(),
    PARLEY_NATS_PREFIX: namespace,
    PARLEY_INSTANCE_ID: 'delivery-1',
    PARLEY_LOG_LEVEL: 'silent',
    PARLEY_SHUTDOWN_TIMEOUT_MS: '5000',
    // The shared test machine can be very busy: the directory and group hops get time.
    PARLEY_RPC_TIMEOUT_MS: '15000',
    DATABASE_URL: databaseUrl,
    ...env,
  });
}

const identities = new Map<string, IdentityKeyPair>();
/** One identity key pair per test user (the group chain names members by their keys). */
function identityOf(userId: string): IdentityKeyPair {
  let pair = identities.get(userId);
  if (!pair) identities.set(userId, (pair = generateIdentityKeyPair(deterministicRandom(userId))));
  return pair;
}
const memberOf = (userId: string, deviceId = 1): MemberDevice => ({
  userId,
  deviceId,
  identityKey: identityOf(userId).publicKey,
});

export async function startHarness(
  label: string,
  env: Record<string, string> = {},
  options: HarnessOptions = {},
): Promise<Harness> {
  await initProtocol();
  const natsUrl = options.natsUrl ?? testNatsUrl();
  const namespace = uniqueSubjectPrefix(label);
  const [db, directoryDb, groupsDb] = await Promise.all([
    createTestDatabase({ label: `delivery_${label}` }),
    createTestDatabase({ label: `delivery_dir_${label}` }),
    options.groups ? createTestDatabase({ label: `delivery_grp_${label}` }) : undefined,
  ]);
  const nc = await connect({ servers: natsUrl });
  const common = {
    PARLEY_NATS_URL: natsUrl,
    PARLEY_NATS_PREFIX: namespace,
    PARLEY_LOG_LEVEL: 'silent',
    PARLEY_SHUTDOWN_TIMEOUT_MS: '5000',
  };
  const silent = (service: string) => createLogger({ service, instanceId: 't', level: 'silent' });
  const services: RunningService[] = [];
  if (options.directory !== false) {
    services.push(
      await startPrekeyDirectory(
        loadConfig(PrekeyDirectoryEnvSchema, {
          ...common,
          PARLEY_INSTANCE_ID: 'prekeys-1',
          DATABASE_URL: directoryDb.url,
        }),
        { logger: silent('prekey-directory'), shutdownHooks: false },
      ),
    );
  }
  if (groupsDb) {
    services.push(
      await startGroupMembership(
        loadConfig(GroupMembershipEnvSchema, {
          ...common,
          PARLEY_INSTANCE_ID: 'groups-1',
          DATABASE_URL: groupsDb.url,
        }),
        { logger: silent('group-membership'), shutdownHooks: false },
      ),
    );
  }
  let service: RunningService | undefined;
  if (options.delivery !== false) {
    const logger = createLogger({
      service: 'message-delivery',
      instanceId: 'delivery-1',
      level: (process.env['DELIVERY_TEST_LOG_LEVEL'] as 'silent' | undefined) ?? 'silent',
    });
    service = await startMessageDelivery(
      testConfig(namespace, db.url, { PARLEY_NATS_URL: natsUrl, ...env }),
      { logger, shutdownHooks: false },
    );
  }
  const directory = new Client({ connectionString: directoryDb.url });
  await directory.connect();
  const call = <C extends RpcContract>(contract: C, payload: RequestOf<C>, timeoutMs = 20_000) =>
    request(nc, contract, payload, { namespace, timeoutMs });
  const actor = (a: DeviceAddress) => ({ userId: a.userId, deviceId: a.deviceId });
  async function offlineEvents(device: DeviceAddress): Promise<OfflineEvent[]> {
    const jsm = await nc.jetstreamManager();
    const stream = namespacedName(namespace, STREAMS.events);
    const { state } = await jsm.streams.info(stream);
    const events: OfflineEvent[] = [];
    for (let seq = state.first_seq; seq <= state.last_seq && state.messages > 0; seq++) {
      const msg = await jsm.streams.getMessage(stream, { seq });
      const event = Events.delivery.storedForOfflineDevice.schema.parse(msg.json());
      if (
        event.recipient.userId === device.userId &&
        event.recipient.deviceId === device.deviceId
      ) {
        events.push(event);
      }
    }
    return events;
  }
  // Seeded rows are announced as the directory announces a registration (before answering).
  const announce = async (devices: readonly DeviceAddress[]) => {
    const subject = namespaced(namespace, Events.prekeys.devicesChanged.subject);
    for (const d of devices) {
      nc.publish(
        subject,
        JSON.stringify({ userId: d.userId, deviceId: d.deviceId, at: Date.now() }),
      );
    }
    await nc.flush();
  };

  return {
    namespace,
    db,
    directoryDb,
    nc,
    service,
    natsUrl,
    call,
    register: async (...devices) => {
      if (devices.length === 0) return;
      const users = devices.map((d) => d.userId);
      const ids = devices.map((d) => d.deviceId);
      await directory.query(
        `WITH d AS (SELECT * FROM unnest($1::varchar[], $2::bigint[]) AS d(user_id, device_id)),
         a AS (INSERT INTO prekey_directory.accounts (user_id)
               SELECT DISTINCT user_id FROM d ON CONFLICT DO NOTHING)
         INSERT INTO prekey_directory.devices (user_id, device_id, identity_key)
         SELECT user_id, device_id, decode(md5(user_id || device_id) || md5(device_id || user_id), 'hex')
         FROM d ON CONFLICT DO NOTHING`,
        [users, ids],
      );
      await announce(devices);
    },
    unregister: async (device) => {
      await directory.query(
        'DELETE FROM prekey_directory.devices WHERE user_id = $1 AND device_id = $2',
        [device.userId, device.deviceId],
      );
      await announce([device]);
    },
    offlineEvents,
    waitForOfflineEvents: async (device, n) => {
      const deadline = Date.now() + 5_000;
      for (;;) {
        const events = await offlineEvents(device);
        if (events.length >= n || Date.now() > deadline) return events;
        await sleep(50);
      }
    },
    createGroup: async (admin, others) => {
      const built = createGroup(
        identityOf(admin.userId),
        memberOf(admin.userId, admin.deviceId),
        others.map((u) => memberOf(u)),
        deterministicRandom(`group/${admin.userId}/${others.join(',')}`),
        Date.now(),
      );
      const groupId = Buffer.from(built.state.groupId).toString('hex');
      await call(Rpc.groups.create, {
        groupId,
        actor: actor(admin),
        members: [...new Set([admin.userId, ...others])],
        change: built.change,
      });
      return { groupId, state: built.state };
    },
    changeGroup: async (group, admin, kind, userIds) => {
      const built = buildMembershipChange(
        group.state,
        identityOf(admin.userId),
        kind,
        userIds.map((u) => memberOf(u)),
        Date.now(),
      );
      const contract = kind === 'add' ? Rpc.groups.addMembers : Rpc.groups.removeMembers;
      const reply = await call(contract, {
        groupId: group.groupId,
        actor: actor(admin),
        userIds: [...userIds],
        baseEpoch: group.state.epoch,
        change: built.change,
      });
      group.state = built.state;
      return reply.epoch;
    },
    close: async () => {
      await service?.close();
      await Promise.all(services.map((s) => s.close()));
      await directory.end();
      // The stream is this namespace's own; leave nothing behind on the server.
      const jsm = await nc.jetstreamManager();
      await jsm.streams.delete(namespacedName(namespace, STREAMS.events)).catch(() => undefined);
      await nc.close();
      await Promise.all([db.drop(), directoryDb.drop(), groupsDb?.drop()]);
    },
  };
}

/** The ParleyError a promise rejects with. */
export async function failure(p: Promise<unknown>): Promise<ParleyError> {
  try {
    await p;
  } catch (error) {
    return error as ParleyError;
  }
  throw new Error('expected a failure');
}

let serial = 0;

/** A user id nobody else in this database uses. */
export function userId(label: string): string {
  return `${label}-${++serial}`;
}

/** A client message id nobody else used. */
export function clientMessageId(): string {
  return `cm-${Date.now().toString(36)}-${++serial}`;
}

/** A pairwise send of one envelope per recipient device (content names the envelope). */
export function pairwise(
  sender: DeviceAddress,
  recipients: readonly DeviceAddress[],
  id = clientMessageId(),
): RequestOf<typeof Rpc.delivery.sendPairwise> {
  return {
    sender,
    clientMessageId: id,
    envelopes: recipients.map((recipient) => ({
      recipient,
      type: 'message' as const,
      content: content(`${id}->${recipient.userId}/${recipient.deviceId}`),
    })),
  };
}

/** Recognisable ciphertext-shaped bytes (the service never looks inside). */
export function content(label: string, size = 64): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(size);
  out.set(new TextEncoder().encode(label).subarray(0, size));
  return out;
}

/** Rows of plain SQL (assertions on what is stored). */
export async function sql<T>(url: string, text: string, values: unknown[] = []): Promise<T[]> {
  const pg = new Client({ connectionString: url });
  await pg.connect();
  try {
    return (await pg.query(text, values)).rows as T[];
  } finally {
    await pg.end();
  }
}

export async function mailboxCount(url: string, device: DeviceAddress): Promise<number> {
  const [row] = await sql<{ n: string }>(
    url,
    `SELECT count(*) AS n FROM message_delivery.mailbox_entries
     WHERE recipient_user_id = $1 AND recipient_device_id = $2`,
    [device.userId, device.deviceId],
  );
  return Number(row!.n);
}
