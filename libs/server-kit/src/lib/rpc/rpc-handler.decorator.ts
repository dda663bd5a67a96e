/**
 * Binding a handler to a contract:
 *
 *   @RpcHandler(Rpc.prekeys.registerDevice)
 *   register(@RpcPayload(Rpc.prekeys.registerDevice) req: RequestOf<typeof ...>) { ... }
 *
 * RpcHandler subscribes to the contract's subject and encodes the returned value with the
 * reply schema (Uint8Array -> base64); a reply that breaks the contract is our bug, so it
 * becomes INTERNAL. A database that cannot be reached becomes UNAVAILABLE
 * (isDatabaseUnreachable). RpcPayload decodes and validates the request.
 *
 * Both are done by wrapping the method, not by a Nest interceptor: each interceptor costs an
 * rxjs pipeline and an AsyncResource.bind per request (with no interceptor at all Nest calls
 * the handler directly), 10-15% of message-delivery's CPU in the bench:e2e profiles.
 */
import { applyDecorators } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import type { RpcContract } from '@parley/contracts';
import { InternalError, UnavailableError } from '@parley/contracts';
import { z } from 'zod';
import { isDatabaseUnreachable } from './database-errors';
import { ZodValidationPipe } from './zod-validation.pipe';

/**
 * A reply serialized already: the wire form as JSON text, built whole elsewhere (a mailbox
 * page is built by PostgreSQL). The transport sends the text as the message body itself,
 * not inside a packet (BARE_REPLY_HEADER tells the caller), so a gateway can forward the
 * bytes to HTTP unparsed. A test of the handler holds the text valid for the contract.
 */
export class JsonReply {
  constructor(readonly json: string) {}
}

/** The reply as it goes on the wire, or INTERNAL when it breaks the contract. */
export function encodeReply(contract: RpcContract, value: unknown): unknown {
  if (value instanceof JsonReply) return value;
  try {
    return z.encode(contract.reply, value);
  } catch (error) {
    if (error instanceof z.ZodError) {
      const first = error.issues[0];
      throw new InternalError(
        `reply on ${contract.subject} broke its contract${first ? ` at ${first.path.join('.') || '(root)'}` : ''}`,
      );
    }
    throw error;
  }
}

/** Wraps the method: its (awaited) result encoded, an unreachable database UNAVAILABLE. */
function encodingReplies(contract: RpcContract): MethodDecorator {
  return (_target, _key, descriptor) => {
    const original = descriptor.value as unknown;
    if (typeof original !== 'function') return;
    const handler = original as (...args: unknown[]) => unknown;
    const wrapped = async function (this: unknown, ...args: unknown[]): Promise<unknown> {
      let value: unknown;
      try {
        value = await handler.apply(this, args);
      } catch (error) {
        if (isDatabaseUnreachable(error)) {
          throw new UnavailableError('dependency', 'database unavailable');
        }
        throw error;
      }
      return encodeReply(contract, value);
    };
    // Metadata that decorators applied before this one put on the method stays on it.
    for (const key of Reflect.getMetadataKeys(handler) as unknown[]) {
      Reflect.defineMetadata(key, Reflect.getMetadata(key, handler), wrapped);
    }
    Object.defineProperty(wrapped, 'name', { value: handler.name });
    (descriptor as TypedPropertyDescriptor<unknown>).value = wrapped;
  };
}

export function RpcHandler(contract: RpcContract): MethodDecorator {
  return applyDecorators(encodingReplies(contract), MessagePattern(contract.subject));
}

export function RpcPayload(contract: RpcContract): ParameterDecorator {
  return Payload(new ZodValidationPipe(contract.request));
}
