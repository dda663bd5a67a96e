/** Contracts of the demo service the kit's tests run (not part of Parley's contracts). */
import { base64Bytes, defineRpc } from '@parley/contracts';
import { z } from 'zod';

export const DemoRpc = {
  echo: defineRpc({
    subject: 'parley.demo.echo',
    service: undefined,
    request: z.object({ text: z.string().max(100), bytes: base64Bytes({ max: 64 }) }),
    reply: z.object({ text: z.string(), bytes: base64Bytes({ max: 64 }), instance: z.string() }),
  }),
  fail: defineRpc({
    subject: 'parley.demo.fail',
    service: undefined,
    request: z.object({
      kind: z.enum(['missing-devices', 'not-found', 'crash', 'zod', 'bad-reply']),
    }),
    reply: z.object({ ok: z.literal(true) }),
  }),
  slow: defineRpc({
    subject: 'parley.demo.slow',
    service: undefined,
    request: z.object({ ms: z.number().int().min(0).max(10_000) }),
    reply: z.object({ resourceOpen: z.boolean(), instance: z.string() }),
  }),
  /** Answered with a JsonReply (the reply serialized by the handler, sent bare). */
  listed: defineRpc({
    subject: 'parley.demo.listed',
    service: undefined,
    request: z.object({ count: z.number().int().min(0).max(100), broken: z.boolean() }),
    reply: z.object({ items: z.array(z.string()), more: z.boolean() }),
  }),
} as const;
