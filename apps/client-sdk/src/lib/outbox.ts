/**
 * Pairwise fan-out: one envelope per recipient device, each encrypted over its own 1:1
 * session, posted as one send. For messages to users the device lists come from the
 * gateway (GET /v1/users/:id/devices), the sender's own other devices included; when the
 * server answers 409 MISMATCHED_DEVICES the lists of the users it names are refreshed
 * and the message is encrypted again for the new set.
 */
import type { RandomSource } from '@parley/protocol';
import { toHex } from '@parley/protocol';
import type { DeviceAddress } from './addresses';
import { sameAddress } from './addresses';
import { isApiError, SendFailedError } from './errors';
import type { Sessions } from './sessions';
import type { GatewayApi, OutgoingEnvelope } from './transport/gateway-api';
import { MismatchedDevicesDetailsSchema } from './transport/gateway-api';

export interface Target extends DeviceAddress {
  /** When known (device list, group chain): the session must be with exactly this key. */
  readonly identityKey?: Uint8Array;
}

/** Attempts of one send against device-set conflicts before giving up. */
export const MAX_SEND_ATTEMPTS = 4;

export function newClientMessageId(random: RandomSource): string {
  return toHex(random.bytes(16));
}

export class Outbox {
  private readonly deviceLists = new Map<string, Target[]>();

  constructor(
    private readonly api: GatewayApi,
    private readonly sessions: Sessions,
    private readonly self: DeviceAddress,
    private readonly random: RandomSource,
  ) {}

  /** The user's devices as the gateway lists them (cached until a conflict says otherwise). */
  async devicesOf(userId: string, refresh = false): Promise<Target[]> {
    const cached = this.deviceLists.get(userId);
    if (cached && !refresh) return cached;
    const reply = await this.api.devices(userId);
    const list = reply.devices.map((d) => ({
      userId,
      deviceId: d.deviceId,
      identityKey: d.identityKey,
    }));
    this.deviceLists.set(userId, list);
    return list;
  }

  forget(userId: string): void {
    this.deviceLists.delete(userId);
  }

  /** Encrypts for `targets` (never our own device) and posts one send. */
  async post(
    targets: readonly Target[],
    plaintextFor: (target: Target) => Uint8Array,
    clientMessageId: string,
    group?: { groupId: string; epoch: number },
  ): Promise<void> {
    const envelopes: OutgoingEnvelope[] = [];
    for (const t of targets) {
      if (sameAddress(t, this.self)) continue;
      envelopes.push(await this.sessions.encrypt(t, plaintextFor(t), t.identityKey));
    }
    if (envelopes.length === 0) return;
    await this.api.sendMessages({ clientMessageId, envelopes, ...(group ? { group } : {}) });
  }

  /**
   * Sends to every device of `userIds` (and of our own user when `includeOwnDevices`),
   * refreshing device lists on MISMATCHED_DEVICES.
   */
  async sendToUsers(
    userIds: readonly string[],
    plaintextFor: (target: Target) => Uint8Array,
    includeOwnDevices: boolean,
  ): Promise<void> {
    const users = [...new Set([...userIds, ...(includeOwnDevices ? [this.self.userId] : [])])];
    const clientMessageId = newClientMessageId(this.random);
    let refresh = false;
    for (let attempt = 0; attempt < MAX_SEND_ATTEMPTS; attempt++) {
      const targets: Target[] = [];
      for (const u of users) targets.push(...(await this.devicesOf(u, refresh)));
      try {
        await this.post(targets, plaintextFor, clientMessageId);
        return;
      } catch (error) {
        if (!isApiError(error, 'MISMATCHED_DEVICES') && !isApiError(error, 'NOT_FOUND'))
          throw error;
        const details = MismatchedDevicesDetailsSchema.safeParse(error.details ?? {});
        const named = details.success ? [...details.data.missing, ...details.data.stale] : [];
        // Refresh the users the server named (all of them if it named none we can read).
        refresh = named.length === 0;
        for (const d of named) this.forget(d.userId);
      }
    }
    throw new SendFailedError(`device lists did not settle after ${MAX_SEND_ATTEMPTS} attempts`);
  }
}
