/** The gateway process: configuration from the environment, then serve until a signal. */
import 'reflect-metadata';
import { loadConfig } from '@parley/server-kit';
import { GatewayEnvSchema } from './gateway.config';
import { startGateway } from './start-gateway';

async function main(): Promise<void> {
  const config = loadConfig(GatewayEnvSchema);
  await startGateway(config);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
