/** Transport wrappers that misbehave on purpose: reorder, duplicate or lose deliveries. */
import type { FetchLike, WebSocketFactory, WebSocketLike } from '../../src/node';

function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}

type MessageEvent = { data: unknown };

/**
 * A socket that passes everything through except live `message` frames, which go to
 * `onLiveMessage` with a way to deliver them when (and as often as) the wrapper decides.
 */
function interceptingLiveMessages(
  inner: WebSocketFactory,
  onLiveMessage: (event: MessageEvent, deliver: (event: MessageEvent) => void) => void,
): WebSocketFactory {
  return (url) => {
    const ws = inner(url);
    const outer: WebSocketLike = {
      send: (data) => {
        ws.send(data);
      },
      close: (code, reason) => {
        ws.close(code, reason);
      },
      onopen: null,
      onmessage: null,
      onclose: null,
      onerror: null,
    };
    const deliver = (event: MessageEvent) => outer.onmessage?.(event);
    ws.onopen = (e) => outer.onopen?.(e);
    ws.onclose = (e) => outer.onclose?.(e);
    ws.onerror = (e) => outer.onerror?.(e);
    ws.onmessage = (event) => {
      const frame = JSON.parse(String(event.data)) as { type: string };
      if (frame.type === 'message') onLiveMessage(event, deliver);
      else deliver(event);
    };
    return outer;
  };
}

/**
 * Holds live `message` frames for `holdMs`, then delivers them shuffled, each twice.
 * Other frames pass at once.
 */
export function reorderingSockets(inner: WebSocketFactory, holdMs = 40): WebSocketFactory {
  return (url) => {
    let held: MessageEvent[] = [];
    let timer: ReturnType<typeof setTimeout> | undefined;
    return interceptingLiveMessages(inner, (event, deliver) => {
      held.push(event, event);
      timer ??= setTimeout(() => {
        timer = undefined;
        const batch = shuffle(held);
        held = [];
        for (const e of batch) deliver(e);
      }, holdMs);
    })(url);
  };
}

/**
 * Loses every live `message` frame while `dropping()` says so, as when the instance that
 * stored a message died before offering it live (the message is only in the mailbox).
 */
export function droppingLiveMessages(
  inner: WebSocketFactory,
  dropping: () => boolean,
): WebSocketFactory {
  return interceptingLiveMessages(inner, (event, deliver) => {
    if (!dropping()) deliver(event);
  });
}

/**
 * Shuffles every mailbox page and repeats some of its messages. The page's last message
 * stays last: it is the paging cursor (`after`), which a real server sends in order.
 */
export function reorderingMailbox(inner: FetchLike): FetchLike {
  return async (url, init) => {
    const res = await inner(url, init);
    if (!url.includes('/v1/mailbox?') && !url.endsWith('/v1/mailbox')) return res;
    if ((init?.method ?? 'GET') !== 'GET' || res.status !== 200) return res;
    const body = JSON.parse(await res.text()) as { messages: unknown[]; more: boolean };
    const last = body.messages.slice(-1);
    const rest = body.messages.slice(0, -1);
    const messages = [...shuffle([...rest, ...rest.filter((_, i) => i % 3 === 0)]), ...last];
    const text = JSON.stringify({ ...body, messages });
    return { status: res.status, text: () => Promise.resolve(text) };
  };
}

/**
 * Lets `answer` reply to outgoing `send`/`send-group` frames in the gateway's place: a frame
 * it answers (the reply without `id`) never reaches the gateway; others pass.
 */
export function answeringSends(
  inner: WebSocketFactory,
  answer: (frame: { type: string; [k: string]: unknown }) => object | undefined,
): WebSocketFactory {
  return (url) => {
    const ws = inner(url);
    const outer: WebSocketLike = {
      send: (data) => {
        const frame = JSON.parse(data) as { type: string; id?: string; [k: string]: unknown };
        const reply = frame.type.startsWith('send') ? answer(frame) : undefined;
        if (reply === undefined) ws.send(data);
        else
          setTimeout(() => outer.onmessage?.({ data: JSON.stringify({ ...reply, id: frame.id }) }));
      },
      close: (code, reason) => {
        ws.close(code, reason);
      },
      onopen: null,
      onmessage: null,
      onclose: null,
      onerror: null,
    };
    ws.onopen = (e) => outer.onopen?.(e);
    ws.onclose = (e) => outer.onclose?.(e);
    ws.onerror = (e) => outer.onerror?.(e);
    ws.onmessage = (e) => outer.onmessage?.(e);
    return outer;
  };
}
