import { Module } from '@nestjs/common';
import { PushNotificationDatabase } from './push-notification.database';

@Module({
  providers: [PushNotificationDatabase],
  exports: [PushNotificationDatabase],
})
export class DatabaseModule {}
