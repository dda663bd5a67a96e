import { Module } from '@nestjs/common';
import { GroupMembershipDatabase } from './group-membership.database';

@Module({
  providers: [GroupMembershipDatabase],
  exports: [GroupMembershipDatabase],
})
export class DatabaseModule {}
