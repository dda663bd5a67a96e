export { createTestDatabase, templateName, withTestDatabase } from './lib/test-database';
export type { CreateTestDatabaseOptions, TestDatabase } from './lib/test-database';
export {
  findNatsServerBinary,
  freePort,
  NatsServerStartError,
  startNatsServer,
  waitForNats,
} from './lib/nats-server';
export type { NatsServer, NatsServerOptions } from './lib/nats-server';
export { uniqueName, uniqueSubjectPrefix } from './lib/unique-names';
export {
  DEFAULT_DATABASE_URL,
  DEFAULT_NATS_URL,
  testDatabaseUrl,
  testNatsUrl,
  withDatabase,
} from './lib/test-env';
export { spawnServiceProcess } from './lib/service-process';
export type { ServiceProcess } from './lib/service-process';
