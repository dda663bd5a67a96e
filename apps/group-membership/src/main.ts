/** The group-membership process: configuration from the environment, then the service. */
import { loadConfig } from '@parley/server-kit';
import { GroupMembershipEnvSchema } from './app/group-membership.config';
import { startGroupMembership } from './app/start-group-membership';

async function main(): Promise<void> {
  const config = loadConfig(GroupMembershipEnvSchema);
  await startGroupMembership(config);
}

main().catch((error: unknown) => {
  // ConfigError lists variable names only; other startup errors print their message.
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
