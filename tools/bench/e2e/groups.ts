/**
 * Group fan-out: one admin device (in the orchestrator, it signs the membership chain)
 * creates a group of N members through the gateway, then sends to it pairwise (one
 * envelope per member device, POST /v1/messages) and by sender key (one ciphertext,
 * POST /v1/groups/:groupId/messages, the server fans out).
 */
import { randomBytes } from 'node:crypto';
import { MAX_ENVELOPES_PER_SEND, MAX_MEMBERS_PER_CHANGE } from '@parley/contracts';
import type { GroupMembershipState, MemberDevice } from '@parley/protocol';
import { buildMembershipChange, createGroup, secureRandom } from '@parley/protocol';
import type { BenchDevice } from './device';
import type { JsonClient } from './http-client';
import { encodePayload, nowMs } from './payload';

export interface BenchGroup {
  readonly groupId: string;
  readonly epoch: number;
  /** Every member device but the sender. */
  readonly recipients: readonly MemberDevice[];
}

/** Genesis with the first 99 members, then adds of 100 users each (the contracts' limits). */
export async function createBenchGroup(
  http: JsonClient,
  admin: BenchDevice,
  members: readonly MemberDevice[],
): Promise<BenchGroup> {
  const creator: MemberDevice = { userId: admin.userId, deviceId: admin.deviceId, identityKey: admin.identity.publicKey };
  const first = members.slice(0, MAX_MEMBERS_PER_CHANGE - 1);
  const genesis = createGroup(admin.identity, creator, first, secureRandom, Date.now());
  let state: GroupMembershipState = genesis.state;
  const groupId = Buffer.from(state.groupId).toString('hex');
  let { epoch } = await http.json<{ epoch: number }>(
    'POST',
    '/v1/groups',
    {
      groupId,
      members: [admin.userId, ...first.map((m) => m.userId)],
      change: Buffer.from(genesis.change).toString('base64'),
    },
    admin.token,
  );
  for (let i = first.length; i < members.length; i += MAX_MEMBERS_PER_CHANGE) {
    const batch = members.slice(i, i + MAX_MEMBERS_PER_CHANGE);
    const built = buildMembershipChange(state, admin.identity, 'add', batch, Date.now());
    ({ epoch } = await http.json<{ epoch: number }>(
      'POST',
      `/v1/groups/${groupId}/members`,
      { userIds: batch.map((m) => m.userId), baseEpoch: epoch, change: Buffer.from(built.change).toString('base64') },
      admin.token,
    ));
    state = built.state;
  }
  return { groupId, epoch, recipients: members };
}

export interface GroupSendResult {
  readonly startedAt: number;
  /** Request body bytes the sender uploaded. */
  readonly uploadedBytes: number;
  readonly requests: number;
}

/** One pairwise group message: an envelope per recipient device (split past the per-send limit). */
export async function sendPairwise(
  http: JsonClient,
  admin: BenchDevice,
  group: BenchGroup,
  tag: number,
  payloadBytes: number,
): Promise<GroupSendResult> {
  const startedAt = nowMs();
  const envelopes = group.recipients.map((r, seq) => ({
    recipient: { userId: r.userId, deviceId: r.deviceId },
    type: 'message' as const,
    // Per-recipient ciphertexts differ in a real pairwise send; so do these.
    content: encodePayload(payloadBytes, { tag, seq, sentAt: startedAt }, randomBytes(payloadBytes - 24)).toString('base64'),
  }));
  // One send can name the group (and be checked against its member set) only when every
  // member device fits in it; a larger group goes out as several plain pairwise sends.
  const whole = envelopes.length <= MAX_ENVELOPES_PER_SEND;
  const chunks: (typeof envelopes)[] = [];
  for (let i = 0; i < envelopes.length; i += MAX_ENVELOPES_PER_SEND) chunks.push(envelopes.slice(i, i + MAX_ENVELOPES_PER_SEND));
  const sent = await Promise.all(
    chunks.map((chunk, i) =>
      http.send('POST', '/v1/messages', {
        clientMessageId: `gp-${tag}-${i}`,
        envelopes: chunk,
        ...(whole ? { group: { groupId: group.groupId, epoch: group.epoch } } : {}),
      }, admin.token),
    ),
  );
  for (const r of sent) if (r.status < 200 || r.status >= 300) throw new Error(`pairwise group send: ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
  return { startedAt, uploadedBytes: sent.reduce((n, r) => n + r.sentBytes, 0), requests: sent.length };
}

/** One sender-key group message: one ciphertext, fanned out by the server. */
export async function sendSenderKey(
  http: JsonClient,
  admin: BenchDevice,
  group: BenchGroup,
  tag: number,
  payloadBytes: number,
): Promise<GroupSendResult> {
  const startedAt = nowMs();
  const res = await http.send('POST', `/v1/groups/${group.groupId}/messages`, {
    clientMessageId: `gs-${tag}`,
    epoch: group.epoch,
    ciphertext: encodePayload(payloadBytes, { tag, seq: 0, sentAt: startedAt }).toString('base64'),
  }, admin.token);
  if (res.status < 200 || res.status >= 300) throw new Error(`sender-key group send: ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
  return { startedAt, uploadedBytes: res.sentBytes, requests: 1 };
}
