/** The message-delivery service: what `bootstrapService` mounts under the kit's root module. */
import { Module } from '@nestjs/common';
import { DeliveryModule } from '../delivery/delivery.module';

@Module({ imports: [DeliveryModule] })
export class MessageDeliveryModule {}
