/**
 * Every SQL statement on push registrations. Coalescing is one conditional UPDATE per
 * event (`claimDue`): a registration is claimed only when its last push is older than the
 * window, and PostgreSQL's row lock makes exactly one of racing instances win the claim.
 * The database clock decides, so instances never disagree about the window.
 */
import { Inject, Injectable } from '@nestjs/common';
import type { DeviceAddress, PushEndpoint } from '@parley/contracts';
import type { PushProvider } from '@parley/db/push-notification';
import { PushNotificationDatabase } from '../database/push-notification.database';

/** A registration claimed for one push: its endpoint and the claim's timestamp. */
export interface ClaimedRegistration {
  readonly device: DeviceAddress;
  readonly endpoint: PushEndpoint;
  readonly claimedAt: Date;
}

interface RegistrationRow {
  user_id: string;
  device_id: bigint;
  provider: PushProvider;
  endpoint: string;
  web_push_p256dh: string | null;
  web_push_auth: string | null;
  apns_topic: string | null;
  apns_environment: string | null;
  last_push_at: Date;
}

@Injectable()
export class RegistrationsRepository {
  constructor(@Inject(PushNotificationDatabase) private readonly db: PushNotificationDatabase) {}

  /** Stores the device's registration for the endpoint's provider, replacing an older one. */
  async upsert(device: DeviceAddress, endpoint: PushEndpoint): Promise<Date> {
    const columns = endpointColumns(endpoint);
    const row = await this.db.client.pushRegistration.upsert({
      where: {
        userId_deviceId_provider: {
          userId: device.userId,
          deviceId: BigInt(device.deviceId),
          provider: endpoint.provider,
        },
      },
      create: {
        userId: device.userId,
        deviceId: BigInt(device.deviceId),
        provider: endpoint.provider,
        ...columns,
      },
      // A new endpoint starts afresh: no coalescing state, no failures.
      update: { ...columns, registeredAt: new Date(), lastPushAt: null, failureCount: 0 },
      select: { registeredAt: true },
    });
    return row.registeredAt;
  }

  async remove(device: DeviceAddress, provider?: PushProvider): Promise<number> {
    const { count } = await this.db.client.pushRegistration.deleteMany({
      where: {
        userId: device.userId,
        deviceId: BigInt(device.deviceId),
        ...(provider ? { provider } : {}),
      },
    });
    return count;
  }

  /**
   * Claims every registration of the device that was not pushed within `windowMs`, marking
   * it pushed now. Registrations pushed inside the window are left out: that wake-up is
   * coalesced into the earlier one.
   */
  async claimDue(device: DeviceAddress, windowMs: number): Promise<ClaimedRegistration[]> {
    const rows = await this.db.client.$queryRaw<RegistrationRow[]>`
      UPDATE "push_notification"."push_registrations"
      SET last_push_at = now()
      WHERE user_id = ${device.userId} AND device_id = ${BigInt(device.deviceId)}
        AND (last_push_at IS NULL
             OR last_push_at <= now() - (${windowMs}::bigint * interval '1 millisecond'))
      RETURNING user_id, device_id, provider, endpoint, web_push_p256dh, web_push_auth,
                apns_topic, apns_environment, last_push_at`;
    return rows.map((row) => ({
      device: { userId: row.user_id, deviceId: Number(row.device_id) },
      endpoint: endpointOf(row),
      claimedAt: row.last_push_at,
    }));
  }

  /** The push went out: consecutive failures start from zero again. */
  async recordDelivered(claim: ClaimedRegistration): Promise<void> {
    await this.db.client.pushRegistration.updateMany({
      where: { ...key(claim), endpoint: endpointValue(claim.endpoint), failureCount: { gt: 0 } },
      data: { failureCount: 0 },
    });
  }

  /**
   * The push did not go out and will be tried again: give the claim back, so the retry is
   * not coalesced away. Only our own claim (a newer one or a re-registration is left alone).
   */
  async release(claim: ClaimedRegistration): Promise<void> {
    await this.db.client.pushRegistration.updateMany({
      where: { ...key(claim), lastPushAt: claim.claimedAt },
      data: { lastPushAt: null },
    });
  }

  /** Drops the registration if it still has this endpoint (not replaced meanwhile). */
  async removeEndpoint(claim: ClaimedRegistration): Promise<boolean> {
    const { count } = await this.db.client.pushRegistration.deleteMany({
      where: { ...key(claim), endpoint: endpointValue(claim.endpoint) },
    });
    return count > 0;
  }

  /**
   * Counts a rejected push; past `limit` rejections in a row the registration is dropped
   * (it can never work). Returns whether it was dropped.
   */
  async recordRejected(claim: ClaimedRegistration, limit: number): Promise<boolean> {
    const where = { ...key(claim), endpoint: endpointValue(claim.endpoint) };
    await this.db.client.pushRegistration.updateMany({
      where,
      data: { failureCount: { increment: 1 } },
    });
    const { count } = await this.db.client.pushRegistration.deleteMany({
      where: { ...where, failureCount: { gte: limit } },
    });
    return count > 0;
  }
}

function key(claim: ClaimedRegistration) {
  return {
    userId: claim.device.userId,
    deviceId: BigInt(claim.device.deviceId),
    provider: claim.endpoint.provider,
  };
}

/** What the `endpoint` column holds: the Web Push URL, or the APNs/FCM device token. */
function endpointValue(endpoint: PushEndpoint): string {
  return endpoint.provider === 'webpush' ? endpoint.endpoint : endpoint.token;
}

function endpointColumns(endpoint: PushEndpoint) {
  const none = { webPushP256dh: null, webPushAuth: null, apnsTopic: null, apnsEnvironment: null };
  switch (endpoint.provider) {
    case 'webpush':
      return {
        ...none,
        endpoint: endpoint.endpoint,
        webPushP256dh: endpoint.keys.p256dh,
        webPushAuth: endpoint.keys.auth,
      };
    case 'apns':
      return {
        ...none,
        endpoint: endpoint.token,
        apnsTopic: endpoint.topic,
        apnsEnvironment: endpoint.environment,
      };
    case 'fcm':
      return { ...none, endpoint: endpoint.token };
  }
}

/** The row back into the contract's endpoint (the CHECK constraint guarantees the fields). */
function endpointOf(row: RegistrationRow): PushEndpoint {
  switch (row.provider) {
    case 'webpush':
      return {
        provider: 'webpush',
        endpoint: row.endpoint,
        keys: { p256dh: row.web_push_p256dh ?? '', auth: row.web_push_auth ?? '' },
      };
    case 'apns':
      return {
        provider: 'apns',
        token: row.endpoint,
        topic: row.apns_topic ?? '',
        environment: row.apns_environment === 'production' ? 'production' : 'sandbox',
      };
    case 'fcm':
      return { provider: 'fcm', token: row.endpoint };
  }
}
