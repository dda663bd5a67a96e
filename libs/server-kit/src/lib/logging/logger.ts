/**
 * Structured JSON logs with pino. Code logs events, codes and ids, never payload bodies;
 * the redaction below is the safety net for a field that slips through anyway.
 */
import type { LoggerService } from '@nestjs/common';
import type { DestinationStream, Level, Logger } from 'pino';
import pino from 'pino';
import { currentRequestId } from '../observability/request-context';

export type { Logger } from 'pino';
export type LogLevel = Level | 'silent';

/** Field names that may hold message content, keys or credentials. */
const SENSITIVE = [
  'data',
  'payload',
  'body',
  'content',
  'ciphertext',
  'envelopes',
  'change',
  'identityKey',
  'signedPreKey',
  'preKeys',
  'token',
  'password',
  'authorization',
];
export const REDACTED_PATHS = [...SENSITIVE, ...SENSITIVE.map((f) => `*.${f}`)];

export interface LoggerOptions {
  readonly service: string;
  readonly instanceId: string;
  readonly level?: LogLevel;
  /** Where lines go (default stdout). Tests pass a stream to read them. */
  readonly destination?: DestinationStream;
}

export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: options.service, instance: options.instanceId },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      mixin: () => {
        const requestId = currentRequestId();
        return requestId === undefined ? {} : { requestId };
      },
    },
    options.destination,
  );
}

/** Nest's own log lines (startup, routes, errors) through the same pino logger. */
export class NestPinoLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, ...rest: unknown[]): void {
    this.write('info', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    // Nest calls error(message, stack?, context?).
    const [stack, context] = rest.length >= 2 ? rest : [undefined, rest[0]];
    this.logger.error(
      {
        context: typeof context === 'string' ? context : undefined,
        stack: typeof stack === 'string' ? stack : undefined,
      },
      stringify(message),
    );
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.write('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.write('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.write('trace', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    this.write('fatal', message, rest);
  }

  private write(level: Level, message: unknown, rest: unknown[]): void {
    const context = rest.at(-1);
    this.logger[level](
      { context: typeof context === 'string' ? context : undefined },
      stringify(message),
    );
  }
}

function stringify(message: unknown): string {
  if (typeof message === 'string') return message;
  if (message instanceof Error) return message.message;
  try {
    return JSON.stringify(message);
  } catch {
    return String(message);
  }
}
