/** Whatever a handler threw, as the ParleyError that goes back to the caller. */
import { RpcException } from '@nestjs/microservices';
import {
  InternalError,
  isSerializedParleyError,
  ParleyError,
  parleyErrorFromJSON,
  validationErrorFromZod,
} from '@parley/contracts';
import { z } from 'zod';

export function toParleyError(exception: unknown): ParleyError {
  if (exception instanceof ParleyError) return exception as ParleyError;
  if (exception instanceof z.ZodError) return validationErrorFromZod(exception);
  if (exception instanceof RpcException) {
    const inner = exception.getError();
    if (isSerializedParleyError(inner)) return parleyErrorFromJSON(inner);
  }
  return new InternalError();
}
