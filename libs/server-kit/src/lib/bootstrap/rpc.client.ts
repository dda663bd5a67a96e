/** Outgoing requests of a service, on its shared connection and namespace. */
import { Inject, Injectable } from '@nestjs/common';
import type {
  ReplyOf,
  ReplyWireOf,
  RequestOf,
  RequestWireOf,
  RpcContract,
} from '@parley/contracts';
import type { NatsConnection } from 'nats';
import type { BaseServiceConfig } from '../config/service-config';
import type { RequestOptions } from '../rpc/rpc-request';
import { request, requestJson, requestWire } from '../rpc/rpc-request';
import { NATS_CONNECTION, PARLEY_CONFIG } from './tokens';

@Injectable()
export class RpcClient {
  constructor(
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
    @Inject(PARLEY_CONFIG) private readonly config: BaseServiceConfig,
  ) {}

  request<C extends RpcContract>(
    contract: C,
    payload: RequestOf<C>,
    options: { timeoutMs?: number } = {},
  ): Promise<ReplyOf<C>> {
    return request(this.nc, contract, payload, this.resolved(options));
  }

  /** See requestWire: wire payload in (checked by the caller), unvalidated wire reply out. */
  requestWire<C extends RpcContract>(
    contract: C,
    data: RequestWireOf<C>,
    options: { timeoutMs?: number } = {},
  ): Promise<ReplyWireOf<C>> {
    return requestWire(this.nc, contract, data, this.resolved(options));
  }

  /** See requestJson: the reply's wire form as JSON bytes, for forwarding unparsed. */
  requestJson<C extends RpcContract>(
    contract: C,
    data: RequestWireOf<C>,
    options: { timeoutMs?: number } = {},
  ): Promise<Uint8Array> {
    return requestJson(this.nc, contract, data, this.resolved(options));
  }

  /** The deployment's namespace, and the configured timeout unless the call sets one. */
  private resolved(options: { timeoutMs?: number }): RequestOptions {
    return {
      namespace: this.config.PARLEY_NATS_PREFIX,
      timeoutMs: options.timeoutMs ?? this.config.PARLEY_RPC_TIMEOUT_MS,
    };
  }
}
