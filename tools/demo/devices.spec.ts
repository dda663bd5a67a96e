/** A delivery the demo waits for and that never comes fails the demo, naming what was missed. */
import { DeliveryTimeoutError, DemoDevice, waitFor } from './devices';

describe('demo deliveries', () => {
  it('waitFor resolves as soon as the condition holds', async () => {
    let ready = false;
    setTimeout(() => (ready = true), 30);
    await expect(waitFor('ready', () => ready, 2_000)).resolves.toBeUndefined();
  });

  it('a missed delivery is a DeliveryTimeoutError that says who missed what', async () => {
    const bob = new DemoDevice('http://127.0.0.1:1', 'bob', 2);
    bob.messages.push({
      messageId: '1',
      from: { userId: 'alice', deviceId: 1 },
      text: 'other',
      sentAt: 0,
    });
    const missed = bob.expect('hello', undefined, 60);
    await expect(missed).rejects.toBeInstanceOf(DeliveryTimeoutError);
    await expect(missed).rejects.toThrow('timed out after 60 ms: bob#2 to receive "hello"');
  });

  it('a message in another group does not count', async () => {
    const carol = new DemoDevice('http://127.0.0.1:1', 'carol', 1);
    carol.messages.push({
      messageId: '1',
      from: { userId: 'alice', deviceId: 1 },
      text: 'hi',
      groupId: 'g1',
      sentAt: 0,
    });
    await expect(carol.expect('hi', 'g1', 60)).resolves.toBeUndefined();
    await expect(carol.expect('hi', 'g2', 60)).rejects.toBeInstanceOf(DeliveryTimeoutError);
  });
});
