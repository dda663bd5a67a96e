import 'reflect-metadata';
import { PATTERN_METADATA } from '@nestjs/microservices/constants';
import { InternalError, Rpc, UnavailableError } from '@parley/contracts';
import { JsonReply, RpcHandler } from './rpc-handler.decorator';

const C = Rpc.delivery.ack;

class Handlers {
  reply: unknown = { deleted: 3 };
  failure: Error | undefined;

  @RpcHandler(C)
  async ack(): Promise<unknown> {
    await Promise.resolve();
    if (this.failure !== undefined) throw this.failure;
    return this.reply;
  }
}

describe('RpcHandler (method wrapper, no interceptor)', () => {
  it('binds the contract subject to the wrapped method and encodes its reply', async () => {
    const h = new Handlers();
    const method = Object.getOwnPropertyDescriptor(Handlers.prototype, 'ack')?.value as unknown;
    expect(Reflect.getMetadata(PATTERN_METADATA, method as object)).toEqual([C.subject]);
    await expect(h.ack()).resolves.toEqual({ deleted: 3 });
  });

  it('turns a reply that breaks the contract into INTERNAL', async () => {
    const h = new Handlers();
    h.reply = { deleted: 'three' };
    await expect(h.ack()).rejects.toBeInstanceOf(InternalError);
  });

  it('passes a JsonReply through untouched (the transport sends its text bare)', async () => {
    const h = new Handlers();
    const text = new JsonReply('{"deleted":3}');
    h.reply = text;
    await expect(h.ack()).resolves.toBe(text);
  });

  it('turns an unreachable database into UNAVAILABLE and passes other errors through', async () => {
    const h = new Handlers();
    // Prisma's error for an unreachable server carries this code.
    h.failure = Object.assign(new Error('cannot reach the database'), { code: 'P1001' });
    await expect(h.ack()).rejects.toBeInstanceOf(UnavailableError);
    const other = new Error('boom');
    h.failure = other;
    await expect(h.ack()).rejects.toBe(other);
  });
});
