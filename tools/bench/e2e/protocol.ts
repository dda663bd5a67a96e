/** Messages between the orchestrator (main.ts) and its load processes (load-worker.ts). */

export interface Address {
  readonly userId: string;
  readonly deviceId: number;
}

/** How load processes send 1:1 and offline messages: `send` frames on the socket, or HTTP. */
export type SendOver = 'http' | 'ws';

export type WorkerCommand =
  | { type: 'init'; baseUrl: string; wsUrl: string; index: number; payloadBytes: number; sendOver: SendOver }
  | { type: 'register'; devices: readonly (Address & { preKeys: number })[] }
  | { type: 'connect'; userIds: readonly string[] }
  | { type: 'pair'; userIds: readonly string[]; real: boolean }
  | { type: 'run1to1'; ratePerS: number; seconds: number; graceMs: number; tag: number; real: boolean }
  | {
      type: 'store';
      targets: readonly Address[];
      count: number;
      concurrency: number;
      tag: number;
      /** Stop starting sends after this long (a slow stack must not hold the run for ever). */
      maxSeconds: number;
      /** Reply with the sequence numbers of the acknowledged sends. */
      collect?: boolean;
      /** Added to each send's sequence number (unique across load processes). */
      seqBase?: number;
      /** Connect a sender's socket again when it was lost (the gateway was restarted). */
      reconnect?: boolean;
    }
  | { type: 'drain'; userIds: readonly string[]; pageSize: number; collectTag?: number }
  | { type: 'track'; tag: number }
  | { type: 'trackReport'; tag: number }
  | { type: 'stop' };

export interface StepResult {
  /** Sends started (the offered load actually offered). */
  readonly offered: number;
  /** Sends stored (2xx, or a `sent` frame). */
  readonly accepted: number;
  readonly errors: number;
  /** Sends not started because too many were outstanding (the generator shed load). */
  readonly shed: number;
  /** Frames of this step received by recipients within the step window. */
  readonly deliveredInWindow: number;
  /** ... and in the grace period after it. */
  readonly delivered: number;
  /** Compressed HDR histogram of send-start -> recipient frame latency (us). */
  readonly histogram: string;
  /** Send-start -> HTTP reply or `sent` frame latency (us). */
  readonly ackHistogram: string;
  /** Event-loop utilisation of this process during the step (0..1). */
  readonly elu: number;
  /** Real-encryption frames that failed to decrypt. */
  readonly decryptErrors: number;
  readonly firstError?: string;
}

export type WorkerReply =
  | { type: 'ready' }
  | { type: 'registered'; devices: readonly (Address & { identityKey: string })[] }
  | { type: 'connected'; count: number }
  | { type: 'paired'; pairs: number }
  | ({ type: 'step' } & StepResult)
  | { type: 'stored'; stored: number; errors: number; seconds: number; firstError?: string; ackedSeqs?: number[] }
  /** `retries`: requests answered 503 or 429 and sent again, as a client does. */
  | { type: 'drained'; drained: number; retries: number; seconds: number; firstError?: string; seqs?: number[] }
  | { type: 'tracking' }
  | { type: 'trackReport'; count: number; firstAt: number; lastAt: number }
  | { type: 'error'; message: string };
