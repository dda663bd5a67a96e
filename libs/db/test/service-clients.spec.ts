/**
 * Each service's generated client against the migrated database: its own models work
 * through PrismaPg bound to its schema, and the schema designs hold up under use (one-time
 * prekeys handed out exactly once under concurrent claims, idempotent sends, enums, checks).
 */
import { createGatewayPrisma } from '@parley/db/gateway';
import { createGroupMembershipPrisma } from '@parley/db/group-membership';
import { createMessageDeliveryPrisma, Prisma as DeliveryPrisma } from '@parley/db/message-delivery';
import { createPrekeyDirectoryPrisma } from '@parley/db/prekey-directory';
import { createPushNotificationPrisma } from '@parley/db/push-notification';
import { randomBytes } from 'node:crypto';
import { migrate } from '../src';
import { statementName } from '../src/lib/prisma-client.factory';
import type { ScratchDatabase } from './support/scratch-database';
import { createScratchDatabase } from './support/scratch-database';

// Prisma's Bytes fields take Uint8Array<ArrayBuffer>; a Buffer's backing store may be shared.
const bytes = (n: number) => new Uint8Array(randomBytes(n));
const key32 = () => bytes(32);

describe('service Prisma clients', () => {
  let db: ScratchDatabase;

  beforeAll(async () => {
    db = await createScratchDatabase('clients');
    await migrate({ connectionString: db.url });
  });
  afterAll(async () => {
    await db.drop();
  });

  it('namedStatements: statements are prepared once per connection under a name from their text', async () => {
    const prisma = createMessageDeliveryPrisma(db.url, {
      maxConnections: 1,
      namedStatements: true,
    });
    const plain = createMessageDeliveryPrisma(db.url, { maxConnections: 1 });
    try {
      const count = (client: typeof prisma, n: number) =>
        client.$queryRaw<{ n: number }[]>`SELECT ${n}::int AS n`;
      for (let i = 0; i < 3; i++) expect(await count(prisma, i)).toEqual([{ n: i }]);
      await count(plain, 1);
      // One connection each, so these read that connection's prepared statements.
      const names = (client: typeof prisma) =>
        client.$queryRaw<{ name: string }[]>`SELECT name FROM pg_prepared_statements`;
      const prepared = (await names(prisma)).map((r) => r.name);
      expect(prepared).toContain(statementName('SELECT $1::int AS n'));
      expect(prepared.filter((n) => n.startsWith('p_'))).toHaveLength(2);
      expect(await names(plain)).toEqual([]);
      expect(statementName('SELECT 1')).toBe(statementName('SELECT 1'));
      expect(statementName('SELECT 1')).not.toBe(statementName('SELECT 2'));
    } finally {
      await Promise.all([prisma.$disconnect(), plain.$disconnect()]);
    }
  });

  it('prekey-directory: hands out each one-time prekey exactly once under concurrent claims', async () => {
    const prisma = createPrekeyDirectoryPrisma(db.url, { maxConnections: 8 });
    try {
      await prisma.account.create({
        data: {
          userId: 'alice',
          devices: {
            create: {
              deviceId: 1n,
              identityKey: key32(),
              signedPreKeys: { create: { keyId: 1n, publicKey: key32(), signature: bytes(64) } },
              oneTimePreKeys: {
                createMany: {
                  data: Array.from({ length: 100 }, (_, i) => ({
                    keyId: BigInt(i),
                    publicKey: key32(),
                  })),
                },
              },
            },
          },
        },
      });
      // The claim the schema is designed for: one statement, no double hand-out, no waiting.
      const claim = () => prisma.$queryRaw<{ key_id: bigint }[]>`
        DELETE FROM prekey_directory.one_time_prekeys
         WHERE (user_id, device_id, key_id) = (
           SELECT user_id, device_id, key_id FROM prekey_directory.one_time_prekeys
            WHERE user_id = ${'alice'} AND device_id = ${1n}
            ORDER BY key_id LIMIT 1 FOR UPDATE SKIP LOCKED)
        RETURNING key_id`;
      const claims = await Promise.all(Array.from({ length: 130 }, claim));
      const handedOut = claims.flat().map((r) => Number(r.key_id));
      expect(new Set(handedOut).size).toBe(handedOut.length);
      // SKIP LOCKED may send a claim away empty while others hold rows; none is handed out twice
      // and whatever is left can still be claimed.
      const rest = await prisma.oneTimePreKey.count({ where: { userId: 'alice', deviceId: 1n } });
      expect(handedOut.length + rest).toBe(100);
      expect(handedOut.length).toBeGreaterThanOrEqual(30);

      // Checks from the migration guard the protocol's sizes.
      await expect(
        prisma.device.create({ data: { userId: 'alice', deviceId: 2n, identityKey: bytes(31) } }),
      ).rejects.toThrow(/devices_identity_key_check/);
    } finally {
      await prisma.$disconnect();
    }
  });

  it('message-delivery: one send per client message id; sender-key entries share one ciphertext', async () => {
    const prisma = createMessageDeliveryPrisma(db.url);
    try {
      const send = await prisma.send.create({
        data: {
          senderUserId: 'alice',
          senderDeviceId: 1n,
          clientMessageId: 'm-1',
          groupId: 'g1',
          groupEpoch: 0,
          content: new Uint8Array(Buffer.from('one ciphertext')),
          recipientCount: 2,
          entries: {
            create: [
              { recipientUserId: 'bob', recipientDeviceId: 1n, type: 'sender_key' },
              { recipientUserId: 'carol', recipientDeviceId: 4n, type: 'sender_key' },
            ],
          },
        },
        include: { entries: { orderBy: { seq: 'asc' } } },
      });
      expect(send.entries.map((e) => [e.recipientUserId, e.type, e.content])).toEqual([
        ['bob', 'sender_key', null],
        ['carol', 'sender_key', null],
      ]);
      expect(send.entries[1]!.seq).toBeGreaterThan(send.entries[0]!.seq);

      const resend = prisma.send.create({
        data: {
          senderUserId: 'alice',
          senderDeviceId: 1n,
          clientMessageId: 'm-1',
          recipientCount: 0,
        },
      });
      await expect(resend).rejects.toBeInstanceOf(DeliveryPrisma.PrismaClientKnownRequestError);
      await expect(resend).rejects.toMatchObject({ code: 'P2002' });

      // A pairwise entry must carry its own ciphertext (mailbox_entries_content_check).
      await expect(
        prisma.mailboxEntry.create({
          data: {
            sendId: send.id,
            recipientUserId: 'dave',
            recipientDeviceId: 1n,
            type: 'message',
          },
        }),
      ).rejects.toThrow(/mailbox_entries_content_check/);
    } finally {
      await prisma.$disconnect();
    }
  });

  it('group-membership: chain, members and member devices', async () => {
    const prisma = createGroupMembershipPrisma(db.url);
    try {
      await prisma.group.create({
        data: {
          groupId: 'g1',
          epoch: 0,
          headHash: key32(),
          changes: {
            create: {
              epoch: 0,
              kind: 'created',
              change: bytes(200),
              hash: key32(),
              actorUserId: 'alice',
              actorDeviceId: 1n,
            },
          },
          members: {
            create: [
              {
                userId: 'alice',
                isAdmin: true,
                addedEpoch: 0,
                devices: { create: { deviceId: 1n, identityKey: key32() } },
              },
              { userId: 'bob', addedEpoch: 0 },
            ],
          },
        },
      });
      const group = await prisma.group.findUniqueOrThrow({
        where: { groupId: 'g1' },
        include: {
          members: { include: { devices: true }, orderBy: { userId: 'asc' } },
          changes: true,
        },
      });
      expect(group.members.map((m) => [m.userId, m.isAdmin, m.devices.length])).toEqual([
        ['alice', true, 1],
        ['bob', false, 0],
      ]);
      expect(group.changes.map((c) => c.kind)).toEqual(['created']);
    } finally {
      await prisma.$disconnect();
    }
  });

  it('push-notification: one registration per device and provider, with provider fields checked', async () => {
    const prisma = createPushNotificationPrisma(db.url);
    try {
      const device = { userId: 'bob', deviceId: 1n };
      await prisma.pushRegistration.create({
        data: { ...device, provider: 'fcm', endpoint: 'fcm-token' },
      });
      await expect(
        prisma.pushRegistration.create({
          data: { ...device, provider: 'apns', endpoint: 'ab'.repeat(32) },
        }),
      ).rejects.toThrow(/push_registrations_provider_fields_check/);
      // Coalescing in one statement: only the first of two wake-ups wins the window.
      const wake = () => prisma.$executeRaw`
        UPDATE push_notification.push_registrations SET last_push_at = now()
         WHERE user_id = 'bob' AND device_id = 1
           AND (last_push_at IS NULL OR last_push_at < now() - interval '10 seconds')`;
      expect([await wake(), await wake()]).toEqual([1, 0]);
    } finally {
      await prisma.$disconnect();
    }
  });

  it('gateway: a challenge is consumed once', async () => {
    const prisma = createGatewayPrisma(db.url);
    try {
      const nonce = bytes(32);
      await prisma.authChallenge.create({
        data: { nonce, userId: 'bob', deviceId: 1n, expiresAt: new Date(Date.now() + 60_000) },
      });
      const consume = () => prisma.authChallenge.deleteMany({ where: { nonce } });
      const results = await Promise.all([consume(), consume()]);
      expect(results.map((r) => r.count).sort()).toEqual([0, 1]);
    } finally {
      await prisma.$disconnect();
    }
  });

  it('each client knows only its own models', async () => {
    const prekeys = createPrekeyDirectoryPrisma(db.url);
    const delivery = createMessageDeliveryPrisma(db.url);
    expect('oneTimePreKey' in prekeys && !('send' in prekeys)).toBe(true);
    expect('send' in delivery && !('oneTimePreKey' in delivery)).toBe(true);
    await Promise.all([prekeys.$disconnect(), delivery.$disconnect()]);
  });
});
