import { Module } from '@nestjs/common';
import { DatabaseModule } from '../database/database.module';
import { ProvidersModule } from '../providers/providers.module';
import { RegistrationsModule } from '../registrations/registrations.module';
import { WakeUpConsumer } from './wakeup.consumer';
import { WakeUpDispatcher } from './wakeup.dispatcher';

@Module({
  imports: [DatabaseModule, ProvidersModule, RegistrationsModule],
  providers: [WakeUpDispatcher, WakeUpConsumer],
})
export class WakeUpsModule {}
