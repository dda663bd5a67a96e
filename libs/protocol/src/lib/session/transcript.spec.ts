import { initProtocol } from '../crypto/sodium';
import { makeTranscript } from '../../test/transcript';
import committed from '../../test/vectors/session-transcript.json';

beforeAll(initProtocol);

it('reproduces the committed 1:1 transcript byte for byte', () => {
  expect(makeTranscript()).toEqual(committed);
});
