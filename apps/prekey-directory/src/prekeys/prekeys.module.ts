import { Module } from '@nestjs/common';
import { DatabaseModule } from '../database/database.module';
import { LowStockNotifier } from './low-stock.notifier';
import { PrekeysController } from './prekeys.controller';
import { PrekeysRepository } from './prekeys.repository';
import { PrekeysService } from './prekeys.service';
import { SignedPreKeyVerifier } from './signed-prekey.verifier';

@Module({
  imports: [DatabaseModule],
  controllers: [PrekeysController],
  providers: [PrekeysService, PrekeysRepository, SignedPreKeyVerifier, LowStockNotifier],
})
export class PrekeysModule {}
