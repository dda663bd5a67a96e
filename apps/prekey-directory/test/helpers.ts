/**
 * Test fixtures: a migrated database of its own, a NATS namespace of its own, instances of
 * the real service, a caller speaking the contracts, and real keys from the protocol.
 */
import { namespacedName, STREAMS } from '@parley/contracts';
import type {
  OneTimePreKey,
  ParleyError,
  ReplyOf,
  RequestOf,
  RpcContract,
  SignedPreKey,
  Rpc,
} from '@parley/contracts';
import type { IdentityKeyPair, KeyPair, PreKeyLookup, RandomSource } from '@parley/protocol';
import {
  deterministicRandom,
  generateIdentityKeyPair,
  generateOneTimePreKeys,
  generateSignedPreKey,
  initProtocol,
  publicOneTimePreKey,
  publicSignedPreKey,
} from '@parley/protocol';
import type { RunningService } from '@parley/server-kit';
import { createLogger, loadConfig, request } from '@parley/server-kit';
import type { TestDatabase } from '@parley/testing';
import { createTestDatabase, testNatsUrl, uniqueSubjectPrefix } from '@parley/testing';
import type { NatsConnection } from 'nats';
import { connect } from 'nats';
import type { PrekeyDirectoryConfig } from '../src/app/prekey-directory.config';
import { PrekeyDirectoryEnvSchema } from '../src/app/prekey-directory.config';
import { startPrekeyDirectory } from '../src/app/start-prekey-directory';

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
  /** Starts another instance in the same queue group, database and namespace. */
  startInstance(instanceId: string): Promise<RunningService>;
  close(): Promise<void>;
}

export function testConfig(
  namespace: string,
  databaseUrl: string,
  env: Record<string, string> = {},
): PrekeyDirectoryConfig {
  return loadConfig(PrekeyDirectoryEnvSchema, {
    PARLEY_NATS_URL: testNatsUrl(),
    PARLEY_NATS_PREFIX: namespace,
    PARLEY_INSTANCE_ID: 'prekeys-1',
    PARLEY_LOG_LEVEL: 'silent',
    PARLEY_SHUTDOWN_TIMEOUT_MS: '5000',
    DATABASE_URL: databaseUrl,
    ...env,
  });
}

export async function startHarness(
  label: string,
  env: Record<string, string> = {},
): Promise<Harness> {
  await initProtocol();
  const namespace = uniqueSubjectPrefix(label);
  const db = await createTestDatabase({ label: `prekeys_${label}` });
  const nc = await connect({ servers: testNatsUrl() });
  const instances: RunningService[] = [];
  const startInstance = async (instanceId: string) => {
    const config = testConfig(namespace, db.url, { PARLEY_INSTANCE_ID: instanceId, ...env });
    const logger = createLogger({
      service: 'prekey-directory',
      instanceId,
      level: (process.env['PREKEYS_TEST_LOG_LEVEL'] as 'silent' | undefined) ?? 'silent',
    });
    const service = await startPrekeyDirectory(config, { logger, shutdownHooks: false });
    instances.push(service);
    return service;
  };
  await startInstance('prekeys-1');
  return {
    namespace,
    db,
    nc,
    instances,
    call: (contract, payload, timeoutMs = 5000) =>
      request(nc, contract, payload, { namespace, timeoutMs }),
    startInstance,
    close: async () => {
      await Promise.all(instances.map((s) => s.close()));
      // The stream is this namespace's own; leave nothing behind on the shared server.
      const jsm = await nc.jetstreamManager();
      await jsm.streams.delete(namespacedName(namespace, STREAMS.events)).catch(() => undefined);
      await nc.close();
      await db.drop();
    },
  };
}

/** A device's key material, made by the protocol as a client would (private halves kept). */
export interface TestDevice {
  readonly userId: string;
  readonly deviceId: number;
  readonly identity: IdentityKeyPair;
  readonly signedPreKey: SignedPreKey;
  /** Fresh one-time prekeys with these ids (their private halves go into `preKeys`). */
  oneTimePreKeys(firstId: number, count: number): OneTimePreKey[];
  /** A fresh signed prekey with this id (its private half goes into `preKeys`). */
  signed(id: number): SignedPreKey;
  /** What the device's session code looks its private prekeys up in. */
  readonly preKeys: PreKeyLookup;
  readonly random: RandomSource;
}

let serial = 0;

export function makeDevice(
  userId: string,
  deviceId = 1,
  seed = `${userId}/${deviceId}/${++serial}`,
): TestDevice {
  const random: RandomSource = deterministicRandom(seed);
  const identity = generateIdentityKeyPair(random);
  const signedPairs = new Map<number, KeyPair>();
  const oneTimePairs = new Map<number, KeyPair>();
  const signed = (id: number) => {
    const pair = generateSignedPreKey(identity, id, random, Date.now());
    signedPairs.set(id, pair.keyPair);
    return publicSignedPreKey(pair);
  };
  return {
    userId,
    deviceId,
    identity,
    signedPreKey: signed(1),
    oneTimePreKeys: (firstId, count) =>
      generateOneTimePreKeys(firstId, count, random).map((pair) => {
        oneTimePairs.set(pair.id, pair.keyPair);
        return publicOneTimePreKey(pair);
      }),
    signed,
    preKeys: {
      signedPreKey: (id) => signedPairs.get(id),
      oneTimePreKey: (id) => oneTimePairs.get(id),
    },
    random,
  };
}

export function registerRequest(
  device: TestDevice,
  oneTimePreKeys?: OneTimePreKey[],
): RequestOf<typeof Rpc.prekeys.registerDevice> {
  return {
    userId: device.userId,
    deviceId: device.deviceId,
    identityKey: device.identity.publicKey,
    signedPreKey: device.signedPreKey,
    ...(oneTimePreKeys ? { oneTimePreKeys } : {}),
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

/** A user id nobody else in this database uses. */
export function userId(label: string): string {
  return `${label}-${++serial}`;
}
