import { InboxRequester } from '@parley/server-kit';
import { testNatsUrl, uniqueSubjectPrefix } from '@parley/testing';
import type { NatsConnection } from 'nats';
import { connect } from 'nats';
import type { LiveReply } from './live-delivery.requester';
import { LiveDeliveryRequester } from './live-delivery.requester';

describe('LiveDeliveryRequester (real NATS)', () => {
  let nc: NatsConnection;
  let inbox: InboxRequester;
  let requester: LiveDeliveryRequester;
  const prefix = uniqueSubjectPrefix('liverequester');
  const subject = (name: string) => `${prefix}.${name}`;

  beforeAll(async () => {
    nc = await connect({ servers: testNatsUrl() });
    inbox = new InboxRequester(nc);
    requester = new LiveDeliveryRequester(inbox);
  });
  afterAll(async () => {
    inbox.close();
    await nc.close();
  });

  /** A gateway stand-in on `name` answering every request with `reply` (or not at all). */
  async function responder(name: string, reply: string | undefined) {
    const seen: unknown[] = [];
    const sub = nc.subscribe(subject(name), {
      callback: (_e, msg) => {
        seen.push(msg.json());
        if (reply !== undefined) msg.respond(reply);
      },
    });
    await nc.flush();
    return {
      seen,
      stop: () => {
        sub.unsubscribe();
      },
    };
  }

  const answerOf = async (reply: Promise<LiveReply>) => (await reply).answer;

  it('sends the packet the gateway expects and reads delivered / not delivered', async () => {
    const yes = await responder('yes', '{"response":{"delivered":true},"isDisposed":true}');
    const no = await responder('no', '{"response":{"delivered":false},"isDisposed":true}');
    await expect(requester.request(subject('yes'), 'p.yes', '{"a":1}', 5_000)).resolves.toEqual({
      answer: 'delivered',
    });
    await expect(requester.request(subject('no'), 'p.no', '{"a":2}', 5_000)).resolves.toEqual({
      answer: 'not-delivered',
    });
    expect(yes.seen).toEqual([{ pattern: 'p.yes', data: { a: 1 }, id: expect.any(String) }]);
    yes.stop();
    no.stop();
  });

  it('reads the gateway a delivered answer names, and ignores one that is not an id', async () => {
    const named = await responder(
      'named',
      '{"response":{"delivered":true,"gatewayId":"gw-7"},"isDisposed":true}',
    );
    const odd = await responder('odd', '{"response":{"delivered":true,"gatewayId":"a b"}}');
    await expect(requester.request(subject('named'), 'p', '{}', 5_000)).resolves.toEqual({
      answer: 'delivered',
      gatewayId: 'gw-7',
    });
    await expect(requester.request(subject('odd'), 'p', '{}', 5_000)).resolves.toEqual({
      answer: 'delivered',
    });
    named.stop();
    odd.stop();
  });

  it('tells no responders from a timeout', async () => {
    await expect(answerOf(requester.request(subject('nobody'), 'p', '{}', 5_000))).resolves.toBe(
      'no-responders',
    );
    const silent = await responder('silent', undefined);
    await expect(answerOf(requester.request(subject('silent'), 'p', '{}', 100))).resolves.toBe(
      'timeout',
    );
    silent.stop();
    expect(requester.pending).toBe(0);
  });

  it('reads an error packet or garbage as not delivered', async () => {
    const err = await responder('err', '{"err":{"code":"INTERNAL","message":"x"}}');
    const junk = await responder('junk', 'not json');
    await expect(answerOf(requester.request(subject('err'), 'p', '{}', 5_000))).resolves.toBe(
      'not-delivered',
    );
    await expect(answerOf(requester.request(subject('junk'), 'p', '{}', 5_000))).resolves.toBe(
      'not-delivered',
    );
    err.stop();
    junk.stop();
  });

  it('matches concurrent replies to their own requests', async () => {
    const sub = nc.subscribe(subject('echo'), {
      callback: (_e, msg) => {
        const { data } = msg.json<{ data: { n: number } }>();
        // Odd ones delivered, even ones not, answered in reverse order of arrival.
        setTimeout(
          () => msg.respond(`{"response":{"delivered":${String(data.n % 2 === 1)}}}`),
          50 - data.n,
        );
      },
    });
    await nc.flush();
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, n) =>
        answerOf(requester.request(subject('echo'), 'p', `{"n":${n}}`, 5_000)),
      ),
    );
    expect(answers).toEqual(
      Array.from({ length: 40 }, (_, n) => (n % 2 === 1 ? 'delivered' : 'not-delivered')),
    );
    sub.unsubscribe();
  });
});
