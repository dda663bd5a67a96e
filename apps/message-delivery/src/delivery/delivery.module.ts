import { Module } from '@nestjs/common';
import { DatabaseModule } from '../database/database.module';
import { DeliveryController } from './delivery.controller';
import { DeliveryService } from './delivery.service';
import { DeviceSets } from './device-sets';
import { LiveDeliveryDispatcher } from './live-delivery.dispatcher';
import { MailboxRepository } from './mailbox.repository';
import { SendPurger } from './send-purger';

@Module({
  imports: [DatabaseModule],
  controllers: [DeliveryController],
  providers: [DeliveryService, MailboxRepository, LiveDeliveryDispatcher, DeviceSets, SendPurger],
})
export class DeliveryModule {}
