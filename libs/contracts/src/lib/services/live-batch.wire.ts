/**
 * The live-batch request (message-delivery -> one gateway instance, on
 * `live-batch.<gatewayId>`): the live deliveries of one moment for the devices that gateway
 * holds, one line each:
 *
 *     <userId> SP <deviceId> SP <message JSON>  (lines joined by LF)
 *
 * The message JSON is the StoredMessage wire form, the same bytes a single live delivery
 * carries, so the gateway frames it without parsing. Ids are tokens ([A-Za-z0-9_-]) and
 * JSON.stringify escapes every control character, so neither a space in the address nor an
 * LF inside a message can occur. The answer is one ASCII character per line, in order:
 * `1` written to the device's socket, `0` not (no such socket here, its buffer full, or the
 * line malformed); the sender then tries the device's own live subject.
 */
import { DeviceIdSchema, UserIdSchema } from '../primitives/ids';

export interface LiveBatchItem {
  readonly recipient: { readonly userId: string; readonly deviceId: number };
  /** The StoredMessage as wire JSON (`{"messageId":...}`). */
  readonly messageJson: string;
}

export interface LiveBatchLine {
  readonly recipient: { readonly userId: string; readonly deviceId: number };
  /** A view of the message JSON inside the request (no copy). */
  readonly message: Uint8Array;
}

const LF = 0x0a;
const SP = 0x20;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const DELIVERED = 0x31; // '1'
const ascii = new TextDecoder('latin1');

export function encodeLiveBatch(items: readonly LiveBatchItem[]): string {
  return items
    .map((i) => `${i.recipient.userId} ${String(i.recipient.deviceId)} ${i.messageJson}`)
    .join('\n');
}

/** One entry per line; undefined for a line that is not an address and a JSON object. */
export function decodeLiveBatch(data: Uint8Array): (LiveBatchLine | undefined)[] {
  const lines: (LiveBatchLine | undefined)[] = [];
  let start = 0;
  while (start <= data.length) {
    let end = data.indexOf(LF, start);
    if (end === -1) end = data.length;
    lines.push(decodeLine(data.subarray(start, end)));
    start = end + 1;
  }
  return lines;
}

function decodeLine(line: Uint8Array): LiveBatchLine | undefined {
  const first = line.indexOf(SP);
  const second = first === -1 ? -1 : line.indexOf(SP, first + 1);
  if (second === -1) return undefined;
  const userId = ascii.decode(line.subarray(0, first));
  const deviceText = ascii.decode(line.subarray(first + 1, second));
  const deviceId = /^[0-9]{1,10}$/.test(deviceText) ? Number(deviceText) : NaN;
  const message = line.subarray(second + 1);
  if (
    !UserIdSchema.safeParse(userId).success ||
    !DeviceIdSchema.safeParse(deviceId).success ||
    message[0] !== OPEN_BRACE ||
    message[message.length - 1] !== CLOSE_BRACE
  ) {
    return undefined;
  }
  return { recipient: { userId, deviceId }, message };
}

export function encodeLiveBatchAnswers(delivered: readonly boolean[]): string {
  return delivered.map((d) => (d ? '1' : '0')).join('');
}

/** `count` answers; a short or garbled answer counts as not delivered. */
export function decodeLiveBatchAnswers(data: Uint8Array, count: number): boolean[] {
  return Array.from({ length: count }, (_, i) => data[i] === DELIVERED);
}
