/** The push-notification service: what `bootstrapService` mounts under the kit's root module. */
import { Module } from '@nestjs/common';
import { RegistrationsModule } from '../registrations/registrations.module';
import { WakeUpsModule } from '../wakeups/wakeups.module';

@Module({ imports: [RegistrationsModule, WakeUpsModule] })
export class PushNotificationModule {}
