/**
 * Every SQL statement of group-membership. Methods that take `tx` run inside the caller's
 * transaction, which holds the group's row lock (`lockGroup`): changes of one group are
 * serialized there, and the (group, epoch) primary key of the chain is the last guard.
 */
import { Inject, Injectable } from '@nestjs/common';
import type { MembershipChangeKind, Prisma } from '@parley/db/group-membership';
import { GroupMembershipDatabase } from '../database/group-membership.database';

export type Tx = Prisma.TransactionClient;

export interface GroupHead {
  readonly epoch: number;
  readonly headHash: Uint8Array;
}

export interface ChainRecord {
  readonly epoch: number;
  readonly kind: MembershipChangeKind;
  readonly change: Uint8Array<ArrayBuffer>;
  readonly actorUserId: string;
  readonly actorDeviceId: number;
  readonly createdAt: Date;
}

export interface NewChainEntry {
  readonly groupId: string;
  readonly epoch: number;
  readonly kind: MembershipChangeKind;
  readonly change: Uint8Array;
  readonly hash: Uint8Array;
  readonly actor: { readonly userId: string; readonly deviceId: number };
}

/** A member device as the chain names it. */
export interface DeviceRow {
  readonly userId: string;
  readonly deviceId: number;
  readonly identityKey: Uint8Array;
}

export interface MemberRow {
  readonly userId: string;
  readonly isAdmin: boolean;
}

/** Bytes as the protocol and contracts want them, whatever the driver handed back. */
const bytes = (value: Uint8Array): Uint8Array<ArrayBuffer> => new Uint8Array(value);

const chainSelect = {
  epoch: true,
  kind: true,
  change: true,
  actorUserId: true,
  actorDeviceId: true,
  createdAt: true,
} as const;

function chainRecord(row: {
  epoch: number;
  kind: MembershipChangeKind;
  change: Uint8Array;
  actorUserId: string;
  actorDeviceId: bigint;
  createdAt: Date;
}): ChainRecord {
  return { ...row, change: bytes(row.change), actorDeviceId: Number(row.actorDeviceId) };
}

@Injectable()
export class GroupsRepository {
  constructor(@Inject(GroupMembershipDatabase) private readonly db: GroupMembershipDatabase) {}

  /** Changes wait for a group's lock behind others: allow for a queue of them. */
  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.db.client.$transaction(fn, { maxWait: 10_000, timeout: 20_000 });
  }

  /** Reads that must agree with each other (epoch and members of the same moment). */
  snapshot<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.db.client.$transaction(fn, { isolationLevel: 'RepeatableRead' });
  }

  /**
   * Inserts the group row unless it exists. Returns false when it already existed (a
   * concurrent insert of the same id waits for the other transaction, then sees it).
   */
  async insertGroup(tx: Tx, groupId: string, head: GroupHead): Promise<boolean> {
    const inserted = await tx.$executeRaw`
      INSERT INTO "group_membership"."groups" (group_id, epoch, head_hash)
      VALUES (${groupId}, ${head.epoch}, ${bytes(head.headHash)})
      ON CONFLICT (group_id) DO NOTHING`;
    return inserted === 1;
  }

  /** The group's head, locked until the transaction ends; undefined when unknown. */
  async lockGroup(tx: Tx, groupId: string): Promise<GroupHead | undefined> {
    const rows = await tx.$queryRaw<{ epoch: number; head_hash: Uint8Array }[]>`
      SELECT epoch, head_hash FROM "group_membership"."groups"
      WHERE group_id = ${groupId} FOR UPDATE`;
    const row = rows[0];
    return row && { epoch: row.epoch, headHash: bytes(row.head_hash) };
  }

  async findHead(tx: Tx, groupId: string): Promise<GroupHead | undefined> {
    const row = await tx.group.findUnique({
      where: { groupId },
      select: { epoch: true, headHash: true },
    });
    return row ? { epoch: row.epoch, headHash: bytes(row.headHash) } : undefined;
  }

  /** Moves the head; the epoch condition makes a lost lock impossible to miss. */
  async advanceGroup(tx: Tx, groupId: string, from: number, head: GroupHead): Promise<void> {
    const moved = await tx.group.updateMany({
      where: { groupId, epoch: from },
      data: { epoch: head.epoch, headHash: bytes(head.headHash) },
    });
    if (moved.count !== 1) throw new Error('group head moved under the lock');
  }

  async appendChange(tx: Tx, entry: NewChainEntry): Promise<ChainRecord> {
    const row = await tx.membershipChange.create({
      data: {
        groupId: entry.groupId,
        epoch: entry.epoch,
        kind: entry.kind,
        change: bytes(entry.change),
        hash: bytes(entry.hash),
        actorUserId: entry.actor.userId,
        actorDeviceId: BigInt(entry.actor.deviceId),
      },
      select: chainSelect,
    });
    return chainRecord(row);
  }

  async findChange(tx: Tx, groupId: string, epoch: number): Promise<ChainRecord | undefined> {
    const row = await tx.membershipChange.findUnique({
      where: { groupId_epoch: { groupId, epoch } },
      select: chainSelect,
    });
    return row ? chainRecord(row) : undefined;
  }

  /** The group's changes up to `toEpoch` (all by default), oldest first: to rebuild a state. */
  async changesUpTo(tx: Tx, groupId: string, toEpoch?: number): Promise<Uint8Array<ArrayBuffer>[]> {
    const rows = await tx.membershipChange.findMany({
      where: { groupId, ...(toEpoch === undefined ? {} : { epoch: { lte: toEpoch } }) },
      orderBy: { epoch: 'asc' },
      select: { change: true },
    });
    return rows.map((r) => bytes(r.change));
  }

  async chainPage(
    tx: Tx,
    groupId: string,
    fromEpoch: number,
    limit: number,
  ): Promise<ChainRecord[]> {
    const rows = await tx.membershipChange.findMany({
      where: { groupId, epoch: { gte: fromEpoch } },
      orderBy: { epoch: 'asc' },
      take: limit,
      select: chainSelect,
    });
    return rows.map(chainRecord);
  }

  /**
   * Makes members and member_devices say what the chain's head says: users without a
   * device left go, new users arrive with `epoch` as their joining epoch, roles follow.
   */
  async syncMembers(
    tx: Tx,
    groupId: string,
    epoch: number,
    devices: readonly DeviceRow[],
    admins: ReadonlySet<string>,
  ): Promise<void> {
    const users = [...new Set(devices.map((d) => d.userId))];
    await tx.memberDevice.deleteMany({ where: { groupId } });
    await tx.member.deleteMany({ where: { groupId, userId: { notIn: users } } });
    const existing = new Set(
      (await tx.member.findMany({ where: { groupId }, select: { userId: true } })).map(
        (m) => m.userId,
      ),
    );
    const fresh = users.filter((u) => !existing.has(u));
    if (fresh.length > 0) {
      await tx.member.createMany({
        data: fresh.map((userId) => ({ groupId, userId, addedEpoch: epoch, isAdmin: false })),
      });
    }
    await tx.member.updateMany({
      where: { groupId, userId: { in: [...admins] } },
      data: { isAdmin: true },
    });
    await tx.member.updateMany({
      where: { groupId, userId: { notIn: [...admins] } },
      data: { isAdmin: false },
    });
    await tx.memberDevice.createMany({
      data: devices.map((d) => ({
        groupId,
        userId: d.userId,
        deviceId: BigInt(d.deviceId),
        identityKey: bytes(d.identityKey),
      })),
    });
  }

  async listMembers(tx: Tx, groupId: string): Promise<MemberRow[]> {
    return tx.member.findMany({
      where: { groupId },
      orderBy: { userId: 'asc' },
      select: { userId: true, isAdmin: true },
    });
  }

  async isMember(tx: Tx, groupId: string, userId: string): Promise<boolean> {
    const row = await tx.member.findUnique({
      where: { groupId_userId: { groupId, userId } },
      select: { userId: true },
    });
    return row !== null;
  }
}
