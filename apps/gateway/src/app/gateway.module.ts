/** The gateway: HTTP API, live WebSocket, device authentication; services over NATS only. */
import { Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import { PARLEY_CONFIG } from '@parley/server-kit';
import type { GatewayConfig } from '../gateway.config';
import { AuthController } from './auth/auth.controller';
import { AuthService } from './auth/auth.service';
import { ChallengeStore } from './auth/challenge.store';
import { DeviceAuthGuard } from './auth/device-auth.guard';
import { TokenStore } from './auth/token.store';
import { GatewayDatabase } from './database/gateway.database';
import { BundlesController } from './devices/bundles.controller';
import { DeviceDirectoryClient } from './devices/device-directory.client';
import { DevicesController } from './devices/devices.controller';
import { GroupsController } from './groups/groups.controller';
import { HttpExceptionFilter } from './http/http-exception.filter';
import { ConnectionRegistry } from './live/connection.registry';
import { LiveDeliveryRouter } from './live/live-delivery.router';
import { LiveEventsRelay } from './live/live-events.relay';
import { LiveSends } from './live/live-sends';
import { DeliveryBatcher } from './delivery/delivery-batcher';
import { LiveSocketServer } from './live/live-socket.server';
import { MailboxController } from './messages/mailbox.controller';
import { MessagesController } from './messages/messages.controller';
import { PushController } from './push/push.controller';
import { DeviceThrottlerGuard } from './rate-limit/device-throttler.guard';

@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      inject: [PARLEY_CONFIG],
      useFactory: (config: GatewayConfig) => ({
        throttlers: [{ ttl: config.GATEWAY_RATE_WINDOW_MS, limit: config.GATEWAY_RATE_LIMIT }],
      }),
    }),
  ],
  controllers: [
    AuthController,
    DevicesController,
    BundlesController,
    MessagesController,
    MailboxController,
    GroupsController,
    PushController,
  ],
  providers: [
    GatewayDatabase,
    ChallengeStore,
    TokenStore,
    DeviceDirectoryClient,
    AuthService,
    ConnectionRegistry,
    LiveDeliveryRouter,
    LiveEventsRelay,
    LiveSends,
    DeliveryBatcher,
    LiveSocketServer,
    // Order matters: authentication first, so the limiter counts per device.
    { provide: APP_GUARD, useClass: DeviceAuthGuard },
    { provide: APP_GUARD, useClass: DeviceThrottlerGuard },
    { provide: APP_FILTER, useClass: HttpExceptionFilter },
  ],
})
export class GatewayModule {}
