/**
 * Every route needs `Authorization: Bearer <token>` unless marked @Public(); the token's
 * device is attached to the request for the handlers and the rate limiter.
 */
import type { CanActivate, ExecutionContext } from '@nestjs/common';
import { createParamDecorator, Inject, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { DeviceAddress } from '@parley/contracts';
import { ForbiddenError, UnauthenticatedError } from '@parley/contracts';
import type { FastifyRequest } from 'fastify';
import { TokenStore } from './token.store';

const PUBLIC_ROUTE = 'parley:public-route';

/** A route anyone may call (challenge, token, registration: they carry their own proof). */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(PUBLIC_ROUTE, true);

export interface AuthenticatedRequest extends FastifyRequest {
  device?: DeviceAddress;
}

/** Bearer token from an Authorization header value, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer ([^\s]+)$/i.exec(header ?? '');
  return match?.[1];
}

@Injectable()
export class DeviceAuthGuard implements CanActivate {
  constructor(
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(TokenStore) private readonly tokens: TokenStore,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const isPublic = this.reflector.getAllAndOverride<boolean | undefined>(PUBLIC_ROUTE, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (isPublic) return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const token = bearerToken(request.headers.authorization);
    if (!token) throw new UnauthenticatedError('missing bearer token');
    const device = await this.tokens.resolve(token);
    if (!device) throw new UnauthenticatedError('invalid or expired token');
    request.device = device;
    return true;
  }
}

/** The authenticated device of the request (only on non-public routes). */
export const CurrentDevice = createParamDecorator((_: unknown, context: ExecutionContext) => {
  const device = context.switchToHttp().getRequest<AuthenticatedRequest>().device;
  if (!device) throw new UnauthenticatedError();
  return device;
});

/** A device may change only its own keys. */
export function assertSelf(device: DeviceAddress, userId: string, deviceId: number): void {
  if (device.userId !== userId || device.deviceId !== deviceId) {
    throw new ForbiddenError('a device may only change its own keys');
  }
}
