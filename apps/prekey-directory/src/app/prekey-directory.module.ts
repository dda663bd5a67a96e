/** The prekey-directory service: what `bootstrapService` mounts under the kit's root module. */
import { Module } from '@nestjs/common';
import { PrekeysModule } from '../prekeys/prekeys.module';

@Module({ imports: [PrekeysModule] })
export class PrekeyDirectoryModule {}
