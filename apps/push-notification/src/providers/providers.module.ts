import { Module } from '@nestjs/common';
import { PushProviders } from './push-providers';

@Module({ providers: [PushProviders], exports: [PushProviders] })
export class ProvidersModule {}
