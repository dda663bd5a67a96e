/** The push-notification process: configuration from the environment, then the service. */
import { loadConfig } from '@parley/server-kit';
import { PushNotificationEnvSchema } from './app/push-notification.config';
import { startPushNotification } from './app/start-push-notification';
import { PushProviders } from './providers/push-providers';

async function main(): Promise<void> {
  const config = loadConfig(PushNotificationEnvSchema);
  const service = await startPushNotification(config);
  const enabled = service.app.get(PushProviders).enabled();
  service.logger.info({ providers: enabled }, 'push providers enabled');
}

main().catch((error: unknown) => {
  // ConfigError lists variable names only; other startup errors print their message.
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
