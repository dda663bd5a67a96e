import { Module } from '@nestjs/common';
import { PrekeyDirectoryDatabase } from './prekey-directory.database';

@Module({
  providers: [PrekeyDirectoryDatabase],
  exports: [PrekeyDirectoryDatabase],
})
export class DatabaseModule {}
