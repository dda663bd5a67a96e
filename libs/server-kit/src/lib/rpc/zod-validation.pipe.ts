/** Validates (and decodes) a message payload with a zod schema; failures are VALIDATION_FAILED. */
import type { PipeTransform } from '@nestjs/common';
import { validationErrorFromZod } from '@parley/contracts';
import type { z } from 'zod';

export class ZodValidationPipe<S extends z.ZodType> implements PipeTransform<unknown, z.output<S>> {
  constructor(
    private readonly schema: S,
    private readonly what = 'request',
  ) {}

  transform(value: unknown): z.output<S> {
    const result = this.schema.safeParse(value);
    if (!result.success) throw validationErrorFromZod(result.error, this.what);
    return result.data;
  }
}
