/**
 * Test fixtures: a migrated database of its own, a NATS namespace of its own, instances of
 * the real service, a caller speaking the contracts, and group changes signed by the
 * protocol as clients make them.
 */
import { Events, namespacedName, STREAMS } from '@parley/contracts';
import type { EventOf, ParleyError, ReplyOf, RequestOf, RpcContract } from '@parley/contracts';
import type { IdentityKeyPair, MemberDevice } from '@parley/protocol';
import { deterministicRandom, generateIdentityKeyPair, initProtocol } from '@parley/protocol';
import type { RunningService } from '@parley/server-kit';
import { createLogger, loadConfig, request } from '@parley/server-kit';
import type { TestDatabase } from '@parley/testing';
import { createTestDatabase, testNatsUrl, uniqueSubjectPrefix } from '@parley/testing';
import type { NatsConnection } from 'nats';
import { connect } from 'nats';
import { Client } from 'pg';
import type { GroupMembershipConfig } from '../src/app/group-membership.config';
import { GroupMembershipEnvSchema } from '../src/app/group-membership.config';
import { startGroupMembership } from '../src/app/start-group-membership';

export type MembershipEvent = EventOf<typeof Events.groups.membershipChanged>;

export interface Harness {
  readonly namespace: string;
  readonly db: TestDatabase;
  readonly nc: NatsConnection;
  readonly instances: RunningService[];
  call<C extends RpcContract>(
    contract: C,
    payload: RequestOf<C>,
    timeoutMs?: number,
  ): Promise<ReplyOf<C>>;
  startInstance(instanceId: string, env?: Record<string, string>): Promise<RunningService>;
  /** Every membership event this namespace's stream holds for a group, in stream order. */
  events(groupId: string): Promise<MembershipEvent[]>;
  /** Row counts of the group's tables, read with plain SQL. */
  rows(
    groupId: string,
  ): Promise<{ groups: number; changes: number; members: number; devices: number }>;
  close(): Promise<void>;
}

export function testConfig(
  namespace: string,
  databaseUrl: string,
  env: Record<string, string> = {},
): GroupMembershipConfig {
  return loadConfig(GroupMembershipEnvSchema, {
    PARLEY_NATS_URL: testNatsUrl(),
    PARLEY_NATS_PREFIX: namespace,
    PARLEY_INSTANCE_ID: 'groups-1',
    PARLEY_LOG_LEVEL: 'silent',
    PARLEY_SHUTDOWN_TIMEOUT_MS: '5000',
    DATABASE_URL: databaseUrl,
    ...env,
  });
}

export async function startHarness(label: string): Promise<Harness> {
  await initProtocol();
  const namespace = uniqueSubjectPrefix(label);
  const db = await createTestDatabase({ label: `groups_${label}` });
  const nc = await connect({ servers: testNatsUrl() });
  const instances: RunningService[] = [];
  const startInstance = async (instanceId: string, env: Record<string, string> = {}) => {
    const config = testConfig(namespace, db.url, { PARLEY_INSTANCE_ID: instanceId, ...env });
    const logger = createLogger({ service: 'group-membership', instanceId, level: 'silent' });
    const service = await startGroupMembership(config, { logger, shutdownHooks: false });
    instances.push(service);
    return service;
  };
  await startInstance('groups-1');
  const pg = new Client({ connectionString: db.url });
  await pg.connect();
  return {
    namespace,
    db,
    nc,
    instances,
    call: (contract, payload, timeoutMs = 10_000) =>
      request(nc, contract, payload, { namespace, timeoutMs }),
    startInstance,
    events: async (groupId) => {
      const jsm = await nc.jetstreamManager();
      const stream = namespacedName(namespace, STREAMS.events);
      const { state } = await jsm.streams.info(stream);
      const events: MembershipEvent[] = [];
      for (let seq = state.first_seq; seq <= state.last_seq && state.messages > 0; seq++) {
        const msg = await jsm.streams.getMessage(stream, { seq });
        const event = Events.groups.membershipChanged.schema.parse(msg.json());
        if (event.groupId === groupId) events.push(event);
      }
      return events;
    },
    rows: async (groupId) => {
      const count = async (table: string) =>
        Number(
          (
            await pg.query<{ n: string }>(
              `SELECT count(*) AS n FROM group_membership.${table} WHERE group_id = $1`,
              [groupId],
            )
          ).rows[0]!.n,
        );
      return {
        groups: await count('groups'),
        changes: await count('membership_changes'),
        members: await count('members'),
        devices: await count('member_devices'),
      };
    },
    close: async () => {
      await Promise.all(instances.map((s) => s.close()));
      await pg.end();
      const jsm = await nc.jetstreamManager();
      await jsm.streams.delete(namespacedName(namespace, STREAMS.events)).catch(() => undefined);
      await nc.close();
      await db.drop();
    },
  };
}

/** A client device: its identity key pair and its member entry. */
export interface TestDevice {
  readonly identity: IdentityKeyPair;
  readonly member: MemberDevice;
}

let serial = 0;

export function makeDevice(userId: string, deviceId = 1): TestDevice {
  const identity = generateIdentityKeyPair(
    deterministicRandom(`${userId}/${deviceId}/${++serial}`),
  );
  return { identity, member: { userId, deviceId, identityKey: identity.publicKey } };
}

/** A user id nobody else in this database uses. */
export function userId(label: string): string {
  return `${label}-${++serial}`;
}

export function groupIdHex(groupId: Uint8Array): string {
  return Buffer.from(groupId).toString('hex');
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
