import { Module } from '@nestjs/common';
import { DatabaseModule } from '../database/database.module';
import { ProvidersModule } from '../providers/providers.module';
import { RegistrationsController } from './registrations.controller';
import { RegistrationsRepository } from './registrations.repository';

@Module({
  imports: [DatabaseModule, ProvidersModule],
  controllers: [RegistrationsController],
  providers: [RegistrationsRepository],
  exports: [RegistrationsRepository],
})
export class RegistrationsModule {}
