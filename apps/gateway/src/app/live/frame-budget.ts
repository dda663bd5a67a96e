/**
 * Client frames a socket may send: a token bucket holding one second's worth, refilled
 * continuously. HTTP routes have their own per-device limiter; this bounds what one socket
 * can make the gateway do (each ack frame is a request to message-delivery).
 */
export class FrameBudget {
  private tokens: number;
  private last: number;

  constructor(
    private readonly perSecond: number,
    now = performance.now(),
  ) {
    this.tokens = perSecond;
    this.last = now;
  }

  /** Takes one frame's token; false when the socket is over its rate. */
  take(now = performance.now()): boolean {
    this.tokens = Math.min(
      this.perSecond,
      this.tokens + ((now - this.last) * this.perSecond) / 1000,
    );
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** How long until the next frame's token is there (as of the last `take`), in whole ms. */
  retryAfterMs(): number {
    return Math.max(0, Math.ceil(((1 - this.tokens) * 1000) / this.perSecond));
  }
}
