import { decodeLiveBatch, encodeLiveBatchAnswers } from '@parley/contracts';
import { InboxRequester } from '@parley/server-kit';
import { testNatsUrl, uniqueSubjectPrefix } from '@parley/testing';
import type { NatsConnection } from 'nats';
import { connect } from 'nats';
import { LIVE_BATCH_MAX_BYTES, LiveBatchSender } from './live-batch.sender';

describe('LiveBatchSender (real NATS)', () => {
  let nc: NatsConnection;
  let inbox: InboxRequester;
  const prefix = uniqueSubjectPrefix('livebatch');
  const subjectOf = (gatewayId: string) => `${prefix}.live-batch.${gatewayId}`;

  beforeAll(async () => {
    nc = await connect({ servers: testNatsUrl() });
    inbox = new InboxRequester(nc);
  });
  afterAll(async () => {
    inbox.close();
    await nc.close();
  });

  /** A gateway stand-in holding `held` (user ids); records each request's line count. */
  async function gateway(gatewayId: string, held: readonly string[]) {
    const requests: number[] = [];
    const sub = nc.subscribe(subjectOf(gatewayId), {
      callback: (_e, msg) => {
        const lines = decodeLiveBatch(msg.data);
        requests.push(lines.length);
        msg.respond(
          encodeLiveBatchAnswers(
            lines.map((l) => l !== undefined && held.includes(l.recipient.userId)),
          ),
        );
      },
    });
    await nc.flush();
    return {
      requests,
      stop: () => {
        sub.unsubscribe();
      },
    };
  }

  const item = (userId: string, content = 'AAAA') => ({
    recipient: { userId, deviceId: 1 },
    messageJson: JSON.stringify({ messageId: userId, content }),
  });

  it('sends what is offered in one turn as one request per gateway and answers each offer', async () => {
    const one = await gateway('gw-1', ['bob', 'carol']);
    const two = await gateway('gw-2', ['dave']);
    const sender = new LiveBatchSender(inbox, subjectOf, 2_000);
    const answers = await Promise.all([
      sender.offer('gw-1', item('bob')),
      sender.offer('gw-2', item('dave')),
      sender.offer('gw-1', item('erin')), // moved away from gw-1
      sender.offer('gw-1', item('carol')),
    ]);
    expect(answers).toEqual(['delivered', 'delivered', 'not-delivered', 'delivered']);
    expect(one.requests).toEqual([3]);
    expect(two.requests).toEqual([1]);
    one.stop();
    two.stop();
  });

  it('answers every offer unanswered when no gateway listens or it does not reply in time', async () => {
    const sender = new LiveBatchSender(inbox, subjectOf, 200);
    await expect(
      Promise.all([sender.offer('gone', item('bob')), sender.offer('gone', item('carol'))]),
    ).resolves.toEqual(['unanswered', 'unanswered']);

    const mute = nc.subscribe(subjectOf('mute'), { callback: () => undefined });
    await nc.flush();
    await expect(sender.offer('mute', item('bob'))).resolves.toBe('unanswered');
    mute.unsubscribe();
  });

  it(`splits a gateway's batch before it passes ${LIVE_BATCH_MAX_BYTES} bytes`, async () => {
    const gw = await gateway('gw-big', ['u0', 'u1', 'u2', 'u3', 'u4']);
    const sender = new LiveBatchSender(inbox, subjectOf, 2_000);
    const big = 'A'.repeat(LIVE_BATCH_MAX_BYTES / 2 - 200);
    const answers = await Promise.all(
      [0, 1, 2, 3, 4].map((i) => sender.offer('gw-big', item(`u${i}`, big))),
    );
    expect(answers).toEqual(Array(5).fill('delivered'));
    expect(gw.requests).toEqual([2, 2, 1]);
    gw.stop();
  });
});
