/**
 * HTTP requests run under a request id: the client's `x-request-id` when it is a usable
 * one, else a fresh id; it is echoed in the response and sent on with every NATS request
 * the handler makes.
 *
 * Fastify continues a request from stream callbacks (body parsing), where the context of
 * `onRequest` is lost; an AsyncResource created in that context re-enters it before
 * validation, so guards, pipes and handlers see the id (the @fastify/request-context way).
 */
import { AsyncResource } from 'node:async_hooks';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyRequest } from 'fastify';
import { acceptRequestId, REQUEST_ID_HEADER, runWithRequestId } from './request-context';

const scope = new WeakMap<FastifyRequest, AsyncResource>();

export function installHttpRequestIds(app: NestFastifyApplication): void {
  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onRequest', (req, reply, done) => {
    const requestId = acceptRequestId(req.headers[REQUEST_ID_HEADER]);
    void reply.header(REQUEST_ID_HEADER, requestId);
    runWithRequestId(requestId, () => {
      scope.set(req, new AsyncResource('parley-request'));
      done();
    });
  });
  fastify.addHook('preValidation', (req, _reply, done) => {
    const resource = scope.get(req);
    if (resource) resource.runInAsyncScope(done, req.raw);
    else done();
  });
}
