/**
 * Integration fixtures: the real gateway and the real prekey directory in this process
 * (with `messaging`, also the real group-membership and message-delivery), each with a
 * migrated database of its own, sharing one NATS namespace of their own on the local
 * nats-server; plus a tiny HTTP client.
 */
import { namespacedName, STREAMS } from '@parley/contracts';
import { loadConfig } from '@parley/server-kit';
import type { RunningService } from '@parley/server-kit';
import type { TestDatabase } from '@parley/testing';
import { createTestDatabase, testNatsUrl, uniqueSubjectPrefix } from '@parley/testing';
import { initProtocol } from '@parley/protocol';
// The acceptance tests boot the real prekey directory in this process (its own module,
// database and the shared namespace); only tests reach into another app.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { PrekeyDirectoryEnvSchema } from '../../../prekey-directory/src/app/prekey-directory.config';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { startPrekeyDirectory } from '../../../prekey-directory/src/app/start-prekey-directory';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { GroupMembershipEnvSchema } from '../../../group-membership/src/app/group-membership.config';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { startGroupMembership } from '../../../group-membership/src/app/start-group-membership';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { MessageDeliveryEnvSchema } from '../../../message-delivery/src/app/message-delivery.config';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { startMessageDelivery } from '../../../message-delivery/src/app/start-message-delivery';
import { connect } from 'nats';
import type { GatewayConfig } from '../../src/gateway.config';
import { GatewayEnvSchema } from '../../src/gateway.config';
import type { RunningGateway } from '../../src/start-gateway';
import { startGateway } from '../../src/start-gateway';

export interface Stack {
  readonly namespace: string;
  readonly url: string;
  readonly gateway: RunningGateway;
  readonly directory: RunningService;
  readonly config: GatewayConfig;
  readonly gatewayDb: TestDatabase;
  readonly directoryDb: TestDatabase;
  close(): Promise<void>;
}

export interface StackOptions {
  /** Also run group-membership and message-delivery (own databases, same namespace). */
  readonly messaging?: boolean;
}

export async function startStack(
  label: string,
  gatewayEnv: Record<string, string> = {},
  options: StackOptions = {},
): Promise<Stack> {
  await initProtocol();
  const namespace = uniqueSubjectPrefix(label);
  const [gatewayDb, directoryDb] = await Promise.all([
    createTestDatabase({ label: `gw_${label}` }),
    createTestDatabase({ label: `gwdir_${label}` }),
  ]);
  const messagingDbs = options.messaging
    ? await Promise.all([
        createTestDatabase({ label: `gwgrp_${label}` }),
        createTestDatabase({ label: `gwdel_${label}` }),
      ])
    : [];
  const [groupsDb, deliveryDb] = messagingDbs as (TestDatabase | undefined)[];
  const common = {
    PARLEY_NATS_URL: testNatsUrl(),
    PARLEY_NATS_PREFIX: namespace,
    PARLEY_LOG_LEVEL: 'silent',
    PARLEY_SHUTDOWN_TIMEOUT_MS: '5000',
  };
  const directory = await startPrekeyDirectory(
    loadConfig(PrekeyDirectoryEnvSchema, {
      ...common,
      PARLEY_INSTANCE_ID: 'prekeys-1',
      DATABASE_URL: directoryDb.url,
    }),
    { shutdownHooks: false },
  );
  const services: RunningService[] = [];
  if (groupsDb && deliveryDb) {
    services.push(
      await startGroupMembership(
        loadConfig(GroupMembershipEnvSchema, {
          ...common,
          PARLEY_INSTANCE_ID: 'groups-1',
          DATABASE_URL: groupsDb.url,
        }),
        { shutdownHooks: false },
      ),
      await startMessageDelivery(
        loadConfig(MessageDeliveryEnvSchema, {
          ...common,
          PARLEY_INSTANCE_ID: 'delivery-1',
          DATABASE_URL: deliveryDb.url,
        }),
        { shutdownHooks: false },
      ),
    );
  }
  const config = loadConfig(GatewayEnvSchema, {
    ...common,
    PARLEY_INSTANCE_ID: 'gateway-1',
    PARLEY_HTTP_PORT: '0',
    DATABASE_URL: gatewayDb.url,
    ...gatewayEnv,
  });
  const gateway = await startGateway(config, { shutdownHooks: false });
  return {
    namespace,
    url: gateway.httpUrl,
    gateway,
    directory,
    config,
    gatewayDb,
    directoryDb,
    async close() {
      await gateway.close();
      for (const service of services.reverse()) await service.close();
      await directory.close();
      // The events stream is this namespace's own: leave nothing behind on the shared server.
      const nc = await connect({ servers: testNatsUrl() });
      const jsm = await nc.jetstreamManager();
      await jsm.streams.delete(namespacedName(namespace, STREAMS.events)).catch(() => undefined);
      await nc.close();
      await Promise.all([gatewayDb, directoryDb, ...messagingDbs].map((db) => db.drop()));
    },
  };
}

export interface HttpResult<T = unknown> {
  readonly status: number;
  readonly body: T;
  readonly headers: Headers;
}

/** JSON over fetch; `rawBody` sends bytes as they are (malformed JSON tests). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON bodies the tests inspect
export async function http<T = any>(
  base: string,
  method: string,
  path: string,
  options: {
    body?: unknown;
    rawBody?: string;
    token?: string;
    headers?: Record<string, string>;
  } = {},
): Promise<HttpResult<T>> {
  const headers: Record<string, string> = { ...options.headers };
  let body: string | undefined;
  if (options.rawBody !== undefined) body = options.rawBody;
  else if (options.body !== undefined) body = JSON.stringify(options.body);
  if (body !== undefined && !headers['content-type']) headers['content-type'] = 'application/json';
  if (options.token) headers['authorization'] = `Bearer ${options.token}`;
  const res = await fetch(`${base}${path}`, {
    method,
    headers,
    ...(body === undefined ? {} : { body }),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // Not JSON: keep the text.
  }
  if (process.env['GW_DEBUG'] && res.status >= 500) console.log(method, path, res.status, text);
  return { status: res.status, body: parsed as T, headers: res.headers };
}
