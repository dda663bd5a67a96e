/** The prekey-directory process: configuration from the environment, then the service. */
import { loadConfig } from '@parley/server-kit';
import { PrekeyDirectoryEnvSchema } from './app/prekey-directory.config';
import { startPrekeyDirectory } from './app/start-prekey-directory';

async function main(): Promise<void> {
  const config = loadConfig(PrekeyDirectoryEnvSchema);
  await startPrekeyDirectory(config);
}

main().catch((error: unknown) => {
  // ConfigError lists variable names only; other startup errors print their message.
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
