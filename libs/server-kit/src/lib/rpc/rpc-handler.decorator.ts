/**
 * Binding a handler to a contract:
 *
 *   @RpcHandler(Rpc.prekeys.registerDevice)
 *   register(@RpcPayload(Rpc.prekeys.registerDevice) req: RequestOf<typeof ...>) { ... }
 *
 * RpcHandler subscribes to the contract's subject and encodes the returned value with the
 * reply schema (Uint8Array -> base64); a reply that breaks the contract is our bug, so it
 * becomes INTERNAL. RpcPayload decodes and validates the request.
 */
import type { CallHandler, ExecutionContext, NestInterceptor } from '@nestjs/common';
import { applyDecorators, UseInterceptors } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import type { RpcContract } from '@parley/contracts';
import { InternalError } from '@parley/contracts';
import type { Observable } from 'rxjs';
import { map } from 'rxjs';
import { z } from 'zod';
import { ZodValidationPipe } from './zod-validation.pipe';

export class RpcReplyEncoder implements NestInterceptor {
  constructor(private readonly contract: RpcContract) {}

  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(
      map((value: unknown) => {
        try {
          return z.encode(this.contract.reply, value);
        } catch (error) {
          if (error instanceof z.ZodError) {
            const first = error.issues[0];
            throw new InternalError(
              `reply on ${this.contract.subject} broke its contract${first ? ` at ${first.path.join('.') || '(root)'}` : ''}`,
            );
          }
          throw error;
        }
      }),
    );
  }
}

export function RpcHandler(contract: RpcContract): MethodDecorator {
  return applyDecorators(
    MessagePattern(contract.subject),
    UseInterceptors(new RpcReplyEncoder(contract)),
  );
}

export function RpcPayload(contract: RpcContract): ParameterDecorator {
  return Payload(new ZodValidationPipe(contract.request));
}
