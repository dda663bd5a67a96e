import { Module } from '@nestjs/common';
import { MessageDeliveryDatabase } from './message-delivery.database';

@Module({
  providers: [MessageDeliveryDatabase],
  exports: [MessageDeliveryDatabase],
})
export class DatabaseModule {}
