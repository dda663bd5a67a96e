/** Test helpers: a unique NATS namespace per run, config, captured logs, demo services. */
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import type { BaseServiceConfig } from '../src/lib/config/service-config';
import { BaseServiceEnvSchema, loadConfig } from '../src/lib/config/service-config';
import { createLogger } from '../src/lib/logging/logger';
import type { RunningService } from '../src/lib/bootstrap/bootstrap-service';
import { bootstrapService } from '../src/lib/bootstrap/bootstrap-service';
import { DemoModule } from './demo/demo.module';

export const NATS_URL = process.env['PARLEY_TEST_NATS_URL'] ?? 'nats://127.0.0.1:4222';

/** A namespace nobody else uses: suites running at the same time never share subjects. */
export function uniqueNamespace(label: string): string {
  return `t-${label}-${process.pid}-${randomBytes(4).toString('hex')}`;
}

export function demoConfig(namespace: string, env: Record<string, string> = {}): BaseServiceConfig {
  return loadConfig(BaseServiceEnvSchema, {
    PARLEY_NATS_URL: NATS_URL,
    PARLEY_NATS_PREFIX: namespace,
    PARLEY_INSTANCE_ID: 'demo-1',
    PARLEY_SHUTDOWN_TIMEOUT_MS: '5000',
    PARLEY_LOG_LEVEL: 'debug',
    ...env,
  });
}

/** Log lines written to memory. */
export class LogCapture extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    done();
  }
  get text(): string {
    return this.lines.join('\n');
  }
  records(): Record<string, unknown>[] {
    return this.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  }
}

export async function startDemo(
  namespace: string,
  instanceId = 'demo-1',
  capture = new LogCapture(),
): Promise<RunningService & { capture: LogCapture }> {
  const config = demoConfig(namespace, { PARLEY_INSTANCE_ID: instanceId });
  const logger = createLogger({
    service: 'demo',
    instanceId,
    level: 'debug',
    destination: capture,
  });
  const service = await bootstrapService({
    service: 'demo',
    module: DemoModule,
    config,
    logger,
    shutdownHooks: false,
  });
  return Object.assign(service, { capture });
}

export const bytes = (...values: number[]) => new Uint8Array(values);
