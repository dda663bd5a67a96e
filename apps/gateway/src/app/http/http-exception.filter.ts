/** Every exception of an HTTP handler or guard as the gateway's one error shape. */
import type { ArgumentsHost, ExceptionFilter } from '@nestjs/common';
import { Catch, Inject } from '@nestjs/common';
import { PARLEY_CONFIG, PARLEY_LOGGER } from '@parley/server-kit';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { GatewayConfig } from '../../gateway.config';
import { toHttpError } from './http-error';

@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  constructor(
    @Inject(PARLEY_CONFIG) private readonly config: GatewayConfig,
    @Inject(PARLEY_LOGGER) private readonly logger: Logger,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw exception;
    const request = host.switchToHttp().getRequest<FastifyRequest>();
    const { status, body } = toHttpError(
      exception,
      // The route's own limit (the send routes have a larger one).
      request.routeOptions.bodyLimit,
      this.config.GATEWAY_RATE_WINDOW_MS,
    );
    if (status >= 500) {
      this.logger.error(
        { err: { type: (exception as Error | undefined)?.name }, code: body.error.code },
        'request failed',
      );
    }
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    void reply.status(status).send(body);
  }
}
