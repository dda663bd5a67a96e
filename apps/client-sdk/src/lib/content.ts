/**
 * What travels inside the encryption: the SDK's plaintext formats. A pairwise plaintext
 * starts with a kind byte: DIRECT (a JSON SdkContent: text, or a control message) or
 * GROUP (the protocol's PairwiseGroupPayload, whose body is a JSON GroupBody). A
 * sender-key plaintext is a JSON GroupBody. Decoding is strict (zod); anything else is
 * reported as undecryptable, never guessed at.
 */
import { base64Bytes, UserIdSchema } from '@parley/contracts';
import { z } from 'zod';

export const DIRECT = 0x01;
export const GROUP = 0x02;

const GroupIdHex = z.string().regex(/^[0-9a-f]{64}$/);
const Text = z.string().max(60_000);

export const SdkContentSchema = z.discriminatedUnion('t', [
  /** A 1:1 text; `to` is set on the copy a sender's own other devices get. */
  z.object({
    t: z.literal('text'),
    text: Text,
    sentAt: z.number().int(),
    to: UserIdSchema.optional(),
  }),
  /** Tells a member about a group: where its chain is, and the app-level settings. */
  z.object({
    t: z.literal('group-invite'),
    groupId: GroupIdHex,
    name: z.string().max(256),
    mode: z.enum(['pairwise', 'sender-keys']),
    epoch: z.number().int().nonnegative(),
    rotateAfterMessages: z.number().int().positive().optional(),
  }),
  /** The sender's sender key for a group (a protocol SenderKeyDistributionMessage). */
  z.object({
    t: z.literal('sender-key'),
    groupId: GroupIdHex,
    epoch: z.number().int().nonnegative(),
    distribution: base64Bytes({ max: 1024 }),
  }),
  /** The sender started a new session with us (it could not decrypt ours): do the same. */
  z.object({ t: z.literal('session-reset') }),
]);
export type SdkContent = z.output<typeof SdkContentSchema>;

export const GroupBodySchema = z.object({
  t: z.literal('text'),
  text: Text,
  sentAt: z.number().int(),
});
export type GroupBody = z.output<typeof GroupBodySchema>;

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export function encodeJson<S extends z.ZodType>(schema: S, value: z.input<S>): Uint8Array {
  return encoder.encode(JSON.stringify(z.encode(schema, value as z.output<S>)));
}

/** Strict decode; undefined for anything that is not exactly the schema. */
export function decodeJson<S extends z.ZodType>(
  schema: S,
  bytes: Uint8Array,
): z.output<S> | undefined {
  try {
    const parsed = schema.safeParse(JSON.parse(decoder.decode(bytes)));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

export function directPlaintext(content: SdkContent): Uint8Array {
  const json = encodeJson(SdkContentSchema, content as z.input<typeof SdkContentSchema>);
  const out = new Uint8Array(json.length + 1);
  out[0] = DIRECT;
  out.set(json, 1);
  return out;
}

export function groupPlaintext(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(payload.length + 1);
  out[0] = GROUP;
  out.set(payload, 1);
  return out;
}
