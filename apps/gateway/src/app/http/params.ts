/** Path and query parameters, validated with the contracts' schemas (400 otherwise). */
import { Param, Query } from '@nestjs/common';
import { GroupIdSchema } from '@parley/contracts';
import { ZodValidationPipe } from '@parley/server-kit';
import type { z } from 'zod';
import { DeviceIdParamSchema, UserIdParamSchema } from './http.schemas';

export const UserIdParam = (): ParameterDecorator =>
  Param('userId', new ZodValidationPipe(UserIdParamSchema, 'userId'));
export const DeviceIdParam = (): ParameterDecorator =>
  Param('deviceId', new ZodValidationPipe(DeviceIdParamSchema, 'deviceId'));
export const GroupIdParam = (): ParameterDecorator =>
  Param('groupId', new ZodValidationPipe(GroupIdSchema, 'groupId'));

/** The query string, decoded by `schema` (its fields are strings on the wire). */
export const ZodQuery = (schema: z.ZodType): ParameterDecorator =>
  Query(new ZodValidationPipe(schema, 'query'));
