/**
 * The request id of the work in hand, carried in AsyncLocalStorage within a process and in
 * the `x-request-id` NATS/HTTP header between processes, so one user action can be
 * followed through every service's logs.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

export const REQUEST_ID_HEADER = 'x-request-id';

/** Ids we accept from outside: short and log-safe (anything else is replaced). */
const VALID_ID = /^[A-Za-z0-9._:-]{1,128}$/;

interface RequestContext {
  readonly requestId: string;
}

const storage = new AsyncLocalStorage<RequestContext>();

/** The id of the request being handled, if any. */
export function currentRequestId(): string | undefined {
  return storage.getStore()?.requestId;
}

export function newRequestId(): string {
  return randomUUID();
}

/** `candidate` when it is a usable id, else a fresh one. */
export function acceptRequestId(candidate: unknown): string {
  return typeof candidate === 'string' && VALID_ID.test(candidate) ? candidate : newRequestId();
}

/** Runs `fn` with `requestId` as the current id (also in every log line written meanwhile). */
export function runWithRequestId<T>(requestId: string, fn: () => T): T {
  return storage.run({ requestId }, fn);
}
