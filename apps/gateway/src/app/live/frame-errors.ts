/** `error` frames: the code (and details) the HTTP route would answer with, and the frame's id. */
import { FrameIdSchema, isParleyError } from '@parley/contracts';
import type { ServerFrame } from './live-frames';

/** The `id` of a client frame, when it has a well-formed one (even if the rest is not). */
export function readFrameId(frame: unknown): string | undefined {
  if (typeof frame !== 'object' || frame === null) return undefined;
  const id = (frame as { id?: unknown }).id;
  // Most acks carry no id: no failed parse (and its result object) for each of them.
  if (id === undefined) return undefined;
  const parsed = FrameIdSchema.safeParse(id);
  return parsed.success ? parsed.data : undefined;
}

/** A failure as an `error` frame; anything but a ParleyError is INTERNAL, without its text. */
export function errorFrame(error: unknown, id: string | undefined, fallback: string): ServerFrame {
  const withId = id === undefined ? {} : { id };
  if (!isParleyError(error))
    return { type: 'error', code: 'INTERNAL', message: fallback, ...withId };
  const { code, message, details } = error.toJSON();
  return { type: 'error', code, message, ...withId, ...(details ? { details } : {}) };
}
