/** JSON frames of the live WebSocket (text frames, one object each). */
import { z } from 'zod';

export const ClientFrameSchema = z.discriminatedUnion('type', [
  /** First frame when the token did not come with the upgrade request. */
  z.object({ type: z.literal('auth'), token: z.string().max(128) }),
  z.object({ type: z.literal('ping'), id: z.string().max(64).optional() }),
]);
export type ClientFrame = z.output<typeof ClientFrameSchema>;

export type ServerFrame =
  | { type: 'ready'; userId: string; deviceId: number }
  | { type: 'pong'; id?: string }
  | { type: 'error'; code: string; message: string };

/** Close codes (4000-4999 are the application's). */
export const CLOSE_UNAUTHENTICATED = 4401;
export const CLOSE_GOING_AWAY = 1001;
export const CLOSE_POLICY = 1008;
