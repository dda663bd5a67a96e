/** zod at the HTTP edge: validate a body or param, and describe it in the OpenAPI document. */
import { applyDecorators, Body } from '@nestjs/common';
import { ApiBody } from '@nestjs/swagger';
import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { ZodValidationPipe } from '@parley/server-kit';
import { z } from 'zod';

/** The JSON wire form (base64 strings) of a schema, as OpenAPI 3.0 sees it. */
export function openApiSchema(schema: z.ZodType): SchemaObject {
  return z.toJSONSchema(schema, {
    io: 'input',
    target: 'openapi-3.0',
    unrepresentable: 'any',
  }) as SchemaObject;
}

/** Parameter decorator: the body, decoded and validated by `schema` (400 otherwise). */
export function ZodBody(schema: z.ZodType): ParameterDecorator {
  return Body(new ZodValidationPipe(schema, 'body'));
}

/** Documents a body schema on a route. */
export function ApiZodBody(schema: z.ZodType, description?: string): MethodDecorator {
  return applyDecorators(
    ApiBody({ schema: openApiSchema(schema), ...(description ? { description } : {}) }),
  );
}
