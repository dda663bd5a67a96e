/** The message-delivery service: what `bootstrapService` mounts under the kit's root module. */
import { Module } from '@nestjs/common';
import { DeliveryModule } from '../delivery/delivery.module';
import { HealthModule } from '../health/health.module';

@Module({ imports: [DeliveryModule, HealthModule] })
export class MessageDeliveryModule {}
