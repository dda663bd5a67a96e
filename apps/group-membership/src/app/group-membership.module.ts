/** The group-membership service: what `bootstrapService` mounts under the kit's root module. */
import { Module } from '@nestjs/common';
import { GroupsModule } from '../groups/groups.module';

@Module({ imports: [GroupsModule] })
export class GroupMembershipModule {}
