import { randomBytes } from 'node:crypto';

/**
 * A NATS namespace of its own for one test (see `namespaced` in @parley/contracts): subjects
 * and stream names under it never meet another suite's. Tokens are `[A-Za-z0-9_-]`.
 */
export function uniqueSubjectPrefix(label = 'test'): string {
  return `t-${sanitize(label)}-${process.pid}-${randomBytes(4).toString('hex')}`;
}

/** A name for a JetStream stream, consumer or durable of its own. */
export function uniqueName(label = 'test'): string {
  return `${sanitize(label)}_${process.pid}_${randomBytes(4).toString('hex')}`;
}

function sanitize(label: string): string {
  const clean = label.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 24);
  return clean || 'test';
}
