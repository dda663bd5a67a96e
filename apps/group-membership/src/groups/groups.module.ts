import { Module } from '@nestjs/common';
import { DatabaseModule } from '../database/database.module';
import { GroupsController } from './groups.controller';
import { GroupsRepository } from './groups.repository';
import { GroupsService } from './groups.service';
import { MembershipChangedNotifier } from './membership-changed.notifier';
import { MembershipStateCache } from './membership-state.cache';
import { MembershipVerifier } from './membership.verifier';

@Module({
  imports: [DatabaseModule],
  controllers: [GroupsController],
  providers: [
    GroupsService,
    GroupsRepository,
    MembershipVerifier,
    MembershipStateCache,
    MembershipChangedNotifier,
  ],
})
export class GroupsModule {}
