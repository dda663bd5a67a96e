/**
 * The real server side in this process for end-to-end tests: prekey-directory,
 * group-membership, message-delivery and the gateway, on one fresh migrated database
 * (each service in its own schema) and a NATS namespace of their own.
 */
/* eslint-disable @nx/enforce-module-boundaries -- end-to-end tests boot the real services */
import { loadConfig } from '@parley/server-kit';
import type { RunningService } from '@parley/server-kit';
import type { TestDatabase } from '@parley/testing';
import { createTestDatabase, testNatsUrl, uniqueSubjectPrefix } from '@parley/testing';
import { GatewayEnvSchema } from '../../../gateway/src/gateway.config';
import type { RunningGateway } from '../../../gateway/src/start-gateway';
import { startGateway } from '../../../gateway/src/start-gateway';
import { GroupMembershipEnvSchema } from '../../../group-membership/src/app/group-membership.config';
import { startGroupMembership } from '../../../group-membership/src/app/start-group-membership';
import { MessageDeliveryEnvSchema } from '../../../message-delivery/src/app/message-delivery.config';
import { startMessageDelivery } from '../../../message-delivery/src/app/start-message-delivery';
import { PrekeyDirectoryEnvSchema } from '../../../prekey-directory/src/app/prekey-directory.config';
import { startPrekeyDirectory } from '../../../prekey-directory/src/app/start-prekey-directory';
/* eslint-enable @nx/enforce-module-boundaries */

export interface Stack {
  readonly url: string;
  readonly namespace: string;
  /** Starts one more message-delivery instance (as after a crash and restart). */
  startDeliveryInstance(instanceId: string): Promise<void>;
  close(): Promise<void>;
}

export async function startStack(label: string): Promise<Stack> {
  const namespace = uniqueSubjectPrefix(`sdk_${label}`);
  const db: TestDatabase = await createTestDatabase({ label: `sdk_${label}` });
  const common = {
    PARLEY_NATS_URL: testNatsUrl(),
    PARLEY_NATS_PREFIX: namespace,
    PARLEY_LOG_LEVEL: process.env['SDK_LOG_LEVEL'] ?? 'silent',
    PARLEY_SHUTDOWN_TIMEOUT_MS: '5000',
    DATABASE_URL: db.url,
  };
  const services: RunningService[] = [];
  try {
    services.push(
      await startPrekeyDirectory(
        loadConfig(PrekeyDirectoryEnvSchema, { ...common, PARLEY_INSTANCE_ID: 'prekeys-1' }),
        {
          shutdownHooks: false,
        },
      ),
      await startGroupMembership(
        loadConfig(GroupMembershipEnvSchema, { ...common, PARLEY_INSTANCE_ID: 'groups-1' }),
        {
          shutdownHooks: false,
        },
      ),
      await startMessageDelivery(
        loadConfig(MessageDeliveryEnvSchema, { ...common, PARLEY_INSTANCE_ID: 'delivery-1' }),
        {
          shutdownHooks: false,
        },
      ),
    );
    const gateway: RunningGateway = await startGateway(
      loadConfig(GatewayEnvSchema, {
        ...common,
        PARLEY_INSTANCE_ID: 'gateway-1',
        PARLEY_HTTP_PORT: '0',
        GATEWAY_RATE_LIMIT: '1000000',
      }),
      { shutdownHooks: false },
    );
    return {
      url: gateway.httpUrl,
      namespace,
      async startDeliveryInstance(instanceId) {
        services.push(
          await startMessageDelivery(
            loadConfig(MessageDeliveryEnvSchema, { ...common, PARLEY_INSTANCE_ID: instanceId }),
            { shutdownHooks: false },
          ),
        );
      },
      async close() {
        await gateway.close();
        for (const s of services.reverse()) await s.close();
        await db.drop();
      },
    };
  } catch (error) {
    for (const s of services.reverse()) await s.close();
    await db.drop();
    throw error;
  }
}
