/** The push registrations' NATS request handlers: one per `Rpc.push` contract. */
import { Controller, Inject } from '@nestjs/common';
import type { ReplyOf, RequestOf } from '@parley/contracts';
import { ConflictError, Rpc, ValidationFailedError } from '@parley/contracts';
import { RpcHandler, RpcPayload } from '@parley/server-kit';
import { PushProviders } from '../providers/push-providers';
import { RegistrationsRepository } from './registrations.repository';

const C = Rpc.push;

@Controller()
export class RegistrationsController {
  constructor(
    @Inject(RegistrationsRepository) private readonly registrations: RegistrationsRepository,
    @Inject(PushProviders) private readonly providers: PushProviders,
  ) {}

  /** One registration per device and provider: registering again replaces the endpoint. */
  @RpcHandler(C.register)
  async register(
    @RpcPayload(C.register) req: RequestOf<typeof C.register>,
  ): Promise<ReplyOf<typeof C.register>> {
    // Refused up front: a registration this deployment could never push to would only
    // make the device believe it will be woken.
    const provider = this.providers.get(req.endpoint.provider);
    if (!provider) {
      throw new ConflictError(
        'provider-not-configured',
        `push provider ${req.endpoint.provider} is not configured on this server`,
      );
    }
    if (
      req.endpoint.provider === 'webpush' &&
      !this.providers.webPushAllows(req.endpoint.endpoint)
    ) {
      throw new ValidationFailedError([
        { path: 'endpoint.endpoint', message: 'not a push service this server sends to' },
      ]);
    }
    const registeredAt = await this.registrations.upsert(req.device, req.endpoint);
    return { registeredAt: registeredAt.getTime() };
  }

  @RpcHandler(C.unregister)
  async unregister(
    @RpcPayload(C.unregister) req: RequestOf<typeof C.unregister>,
  ): Promise<ReplyOf<typeof C.unregister>> {
    return { removed: await this.registrations.remove(req.device, req.provider) };
  }
}
