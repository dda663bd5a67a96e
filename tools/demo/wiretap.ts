/**
 * What went over the wire, for the transcript: a fetch wrapper that notes every accepted
 * send (POST /v1/messages and POST /v1/groups/:id/messages) with the size of each
 * ciphertext, exactly as the server stored it. It reads the request the SDK already
 * built; it never sees a key or a plaintext.
 */
import type { FetchInit, FetchLike, FetchResponseLike } from '@parley/client-sdk/node';

export interface WireEnvelope {
  readonly to: string;
  readonly type: string;
  readonly bytes: number;
}

export interface WireSend {
  readonly kind: 'pairwise' | 'sender-key';
  readonly envelopes: readonly WireEnvelope[];
  /** Devices the server stored it for (for sender-key sends: its fan-out). */
  readonly recipients: number;
}

const base64Length = (b64: string) => Buffer.from(b64, 'base64').length;

export class Wiretap {
  private sends: WireSend[] = [];

  /** Everything sent since the last call. */
  take(): WireSend[] {
    return this.sends.splice(0);
  }

  wrap(inner: FetchLike): FetchLike {
    return async (url: string, init?: FetchInit): Promise<FetchResponseLike> => {
      const res = await inner(url, init);
      const path = new URL(url).pathname;
      const isPairwise = path === '/v1/messages';
      const isGroup = /^\/v1\/groups\/[^/]+\/messages$/.test(path);
      if (init?.method !== 'POST' || (!isPairwise && !isGroup) || res.status >= 300) return res;
      const text = await res.text();
      this.note(isPairwise, init.body ?? '{}', text);
      return { status: res.status, text: () => Promise.resolve(text) };
    };
  }

  private note(isPairwise: boolean, requestBody: string, replyBody: string): void {
    try {
      const recipients = countRecipients(JSON.parse(replyBody) as unknown);
      if (isPairwise) {
        const body = JSON.parse(requestBody) as {
          envelopes: {
            recipient: { userId: string; deviceId: number };
            type: string;
            content: string;
          }[];
        };
        this.sends.push({
          kind: 'pairwise',
          recipients,
          envelopes: body.envelopes.map((e) => ({
            to: `${e.recipient.userId}#${e.recipient.deviceId}`,
            type: e.type,
            bytes: base64Length(e.content),
          })),
        });
      } else {
        const body = JSON.parse(requestBody) as { ciphertext: string };
        this.sends.push({
          kind: 'sender-key',
          recipients,
          envelopes: [{ to: 'group', type: 'sender-key', bytes: base64Length(body.ciphertext) }],
        });
      }
    } catch {
      // A body this tap does not understand is simply not in the transcript.
    }
  }
}

function countRecipients(reply: unknown): number {
  const r = (reply as { recipients?: unknown }).recipients;
  if (typeof r === 'number') return r;
  if (Array.isArray(r)) return r.length;
  return 0;
}
