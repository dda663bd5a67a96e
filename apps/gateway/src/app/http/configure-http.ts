/**
 * Fastify settings that must be in place before the app listens: the error shape of
 * failures that happen before Nest sees a request (malformed JSON, too large, wrong
 * content type), and the OpenAPI document at /docs (and /docs-json).
 */
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { GatewayConfig } from '../../gateway.config';
import { toHttpError } from './http-error';

/** Routes whose bodies are ciphertext fan-outs (Fastify's path syntax). */
const MESSAGE_ROUTES = new Set(['/v1/messages', '/v1/groups/:groupId/messages']);

export function configureHttp(
  app: NestFastifyApplication,
  config: GatewayConfig,
  logger: Logger,
): void {
  const fastify = app.getHttpAdapter().getInstance();
  // The API speaks JSON only: any other body type is refused with 415 before parsing.
  fastify.removeContentTypeParser(['text/plain']);
  // Sends carry ciphertext for many devices: their routes get a larger body limit than
  // the rest (registered before Nest adds its routes, which happens at init).
  fastify.addHook('onRoute', (route) => {
    if (route.method === 'POST' && MESSAGE_ROUTES.has(route.url)) {
      route.bodyLimit = config.GATEWAY_MESSAGE_BODY_LIMIT_BYTES;
    }
  });
  fastify.setErrorHandler((error: FastifyError, req: FastifyRequest, reply: FastifyReply) => {
    const { status, body } = toHttpError(
      error,
      req.routeOptions.bodyLimit,
      config.GATEWAY_RATE_WINDOW_MS,
    );
    if (status >= 500)
      logger.error({ err: { type: error.name, code: error.code } }, 'request failed');
    void reply.status(status).send(body);
  });

  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Parley gateway')
      .setDescription(
        'The public API of Parley. Binary fields are standard padded base64. Devices authenticate by signing a server challenge with their Ed25519 identity key; every other route takes the bearer token from /v1/auth/token (or from registration).',
      )
      .setVersion('1')
      .addBearerAuth()
      .build(),
  );
  fastify.get('/docs', (_req, reply) => reply.send(document));
  fastify.get('/docs-json', (_req, reply) => reply.send(document));
}
