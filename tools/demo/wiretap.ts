/**
 * What went over the wire, for the transcript: wrappers of the SDK's fetch and WebSocket that
 * note every accepted send (POST /v1/messages and POST /v1/groups/:id/messages, or the
 * `send` / `send-group` frames answered with `sent`) with the size of each ciphertext,
 * exactly as the server stored it. They read what the SDK already built; they never see a
 * key or a plaintext.
 */
import type {
  FetchInit,
  FetchLike,
  FetchResponseLike,
  WebSocketFactory,
  WebSocketLike,
} from '@parley/client-sdk/node';

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

  /** The socket as the SDK sees it; send frames are noted when their `sent` comes back. */
  wrapSocket(inner: WebSocketFactory): WebSocketFactory {
    return (url: string): WebSocketLike => {
      const ws = inner(url);
      const sends = new Map<string, { isPairwise: boolean; body: string }>();
      let onmessage: WebSocketLike['onmessage'] = null;
      ws.onmessage = (event) => {
        this.noteReply(sends, event.data);
        onmessage?.(event);
      };
      return {
        send: (data) => {
          rememberSend(sends, data);
          ws.send(data);
        },
        close: (code, reason) => {
          ws.close(code, reason);
        },
        get onopen() {
          return ws.onopen;
        },
        set onopen(f) {
          ws.onopen = f;
        },
        get onclose() {
          return ws.onclose;
        },
        set onclose(f) {
          ws.onclose = f;
        },
        get onerror() {
          return ws.onerror;
        },
        set onerror(f) {
          ws.onerror = f;
        },
        get onmessage() {
          return onmessage;
        },
        set onmessage(f) {
          onmessage = f;
        },
      };
    };
  }

  private noteReply(
    sends: Map<string, { isPairwise: boolean; body: string }>,
    data: unknown,
  ): void {
    if (typeof data !== 'string' && !Buffer.isBuffer(data)) return;
    const text = data.toString();
    try {
      const frame = JSON.parse(text) as { type?: string; id?: string };
      if (frame.id === undefined || (frame.type !== 'sent' && frame.type !== 'error')) return;
      const send = sends.get(frame.id);
      sends.delete(frame.id);
      if (send && frame.type === 'sent') this.note(send.isPairwise, send.body, text);
    } catch {
      // Not a frame this tap reads.
    }
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

function rememberSend(
  sends: Map<string, { isPairwise: boolean; body: string }>,
  data: string,
): void {
  try {
    const frame = JSON.parse(data) as { type?: string; id?: string };
    if (frame.id !== undefined && (frame.type === 'send' || frame.type === 'send-group')) {
      sends.set(frame.id, { isPairwise: frame.type === 'send', body: data });
    }
  } catch {
    // Not JSON: not a send.
  }
}
