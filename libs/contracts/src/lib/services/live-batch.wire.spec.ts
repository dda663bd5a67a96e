import {
  decodeLiveBatch,
  decodeLiveBatchAnswers,
  encodeLiveBatch,
  encodeLiveBatchAnswers,
} from './live-batch.wire';

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (view: Uint8Array) => new TextDecoder().decode(view);

describe('live-batch wire', () => {
  it('carries each address and message JSON through unchanged, in order', () => {
    const messages = [
      JSON.stringify({ messageId: '1', content: 'AAEC', note: 'line\nbreak and "quotes" \u0000' }),
      JSON.stringify({ messageId: '2', content: '' }),
    ];
    const body = encodeLiveBatch([
      { recipient: { userId: 'bob_1-x', deviceId: 7 }, messageJson: messages[0]! },
      { recipient: { userId: 'carol', deviceId: 2_000_000 }, messageJson: messages[1]! },
    ]);
    const lines = decodeLiveBatch(bytes(body));
    expect(lines.map((l) => l && { ...l.recipient, message: text(l.message) })).toEqual([
      { userId: 'bob_1-x', deviceId: 7, message: messages[0] },
      { userId: 'carol', deviceId: 2_000_000, message: messages[1] },
    ]);
  });

  it('marks a malformed line undefined and still reads the lines around it', () => {
    const body = [
      'bob 1 {"messageId":"1"}',
      'bob.evil 1 {"messageId":"2"}', // not a user id token
      'bob 0 {"messageId":"3"}', // device ids start at 1
      'bob 1e3 {"messageId":"4"}',
      'bob 1 not-json',
      'bob 1',
      '',
      'alice 3 {"messageId":"5"}',
    ].join('\n');
    const lines = decodeLiveBatch(bytes(body));
    expect(lines.map((l) => l?.recipient.userId)).toEqual([
      'bob',
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      'alice',
    ]);
  });

  it('reads one answer per line; a short or garbled answer is not delivered', () => {
    expect(encodeLiveBatchAnswers([true, false, true])).toBe('101');
    expect(decodeLiveBatchAnswers(bytes('101'), 3)).toEqual([true, false, true]);
    expect(decodeLiveBatchAnswers(bytes('1'), 3)).toEqual([true, false, false]);
    expect(decodeLiveBatchAnswers(bytes('{"err":1}'), 2)).toEqual([false, false]);
  });
});
