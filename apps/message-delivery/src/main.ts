/** The message-delivery process: configuration from the environment, then the service. */
import { loadConfig } from '@parley/server-kit';
import { MessageDeliveryEnvSchema } from './app/message-delivery.config';
import { startMessageDelivery } from './app/start-message-delivery';

async function main(): Promise<void> {
  const config = loadConfig(MessageDeliveryEnvSchema);
  await startMessageDelivery(config);
}

main().catch((error: unknown) => {
  // ConfigError lists variable names only; other startup errors print their message.
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
