/** The live WebSocket's frames live in @parley/contracts (shared with the client SDK). */
export {
  ClientFrameSchema,
  CLOSE_GOING_AWAY,
  CLOSE_POLICY,
  CLOSE_REPLACED,
  CLOSE_TOO_BIG,
  CLOSE_UNAUTHENTICATED,
} from '@parley/contracts';
export type { ClientFrame, ServerFrameWire as ServerFrame } from '@parley/contracts';
