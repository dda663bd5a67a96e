/** The demo service as a process (the SIGTERM test runs it). */
import { BaseServiceEnvSchema, bootstrapService, loadConfig } from '../../src';
import { DemoModule } from './demo.module';

async function main(): Promise<void> {
  const config = loadConfig(BaseServiceEnvSchema);
  await bootstrapService({ service: 'demo', module: DemoModule, config });
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
