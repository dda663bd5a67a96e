/**
 * The bench's message bodies. A pre-encrypted envelope is opaque random-looking bytes to
 * the server, like a real ciphertext; its first bytes carry what the load generator needs
 * to measure (send time, a run tag and a sequence number), the rest is filler.
 *
 * Layout: magic u32 | tag u32 | seq u32 | reserved u32 | sentAt f64 (ms, performance.timeOrigin based) | filler.
 */
import { randomFillSync } from 'node:crypto';

export const PAYLOAD_MAGIC = 0x70_61_72_6c; // "parl"
export const HEADER_BYTES = 24;

export interface PayloadHeader {
  readonly tag: number;
  readonly seq: number;
  readonly sentAt: number;
}

/** Wall-clock milliseconds with sub-ms precision, comparable across processes. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

export function encodePayload(size: number, header: PayloadHeader, filler?: Uint8Array): Buffer {
  if (size < HEADER_BYTES) throw new RangeError(`payload must be at least ${HEADER_BYTES} bytes`);
  const buf = Buffer.allocUnsafe(size);
  if (filler) buf.set(filler.subarray(0, size - HEADER_BYTES), HEADER_BYTES);
  else randomFillSync(buf, HEADER_BYTES);
  writeHeader(buf, header);
  return buf;
}

/** Rewrites the header in place (a filler buffer is reused for every send). */
export function writeHeader(buf: Buffer, header: PayloadHeader): void {
  buf.writeUInt32BE(PAYLOAD_MAGIC, 0);
  buf.writeUInt32BE(header.tag >>> 0, 4);
  buf.writeUInt32BE(header.seq >>> 0, 8);
  buf.writeUInt32BE(0, 12);
  buf.writeDoubleBE(header.sentAt, 16);
}

/** The header of a bench payload, or undefined for anything else. */
export function decodePayload(bytes: Uint8Array): PayloadHeader | undefined {
  if (bytes.length < HEADER_BYTES) return undefined;
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.readUInt32BE(0) !== PAYLOAD_MAGIC) return undefined;
  return { tag: buf.readUInt32BE(4), seq: buf.readUInt32BE(8), sentAt: buf.readDoubleBE(16) };
}
