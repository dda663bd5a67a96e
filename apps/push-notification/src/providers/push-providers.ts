/**
 * The providers this instance can use: those whose credentials are configured. Built once
 * from the configuration; their connections close at shutdown, after in-flight pushes.
 */
import type { OnApplicationShutdown } from '@nestjs/common';
import { Inject, Injectable } from '@nestjs/common';
import { PARLEY_CONFIG } from '@parley/server-kit';
import type { PushNotificationConfig } from '../app/push-notification.config';
import { ApnsProvider } from './apns.provider';
import { FcmProvider } from './fcm.provider';
import type { PushProvider, PushProviderName } from './push-provider';
import { WebPushProvider } from './web-push.provider';

type ProviderMap = { [P in PushProviderName]?: PushProvider<P> };

export function providersFromConfig(config: PushNotificationConfig): ProviderMap {
  const providers: ProviderMap = {};
  const common = { ttlSeconds: config.PUSH_TTL_SECONDS, timeoutMs: config.PUSH_SEND_TIMEOUT_MS };
  if (
    config.WEB_PUSH_VAPID_PUBLIC_KEY &&
    config.WEB_PUSH_VAPID_PRIVATE_KEY &&
    config.WEB_PUSH_VAPID_SUBJECT
  ) {
    providers.webpush = new WebPushProvider({
      ...common,
      vapidPublicKey: config.WEB_PUSH_VAPID_PUBLIC_KEY,
      vapidPrivateKey: config.WEB_PUSH_VAPID_PRIVATE_KEY,
      subject: config.WEB_PUSH_VAPID_SUBJECT,
      caCerts: config.WEB_PUSH_CA_CERTS,
      allowedHosts: config.WEB_PUSH_ALLOWED_HOSTS,
    });
  }
  if (config.APNS_KEY_ID && config.APNS_TEAM_ID && config.APNS_PRIVATE_KEY) {
    providers.apns = new ApnsProvider({
      ...common,
      keyId: config.APNS_KEY_ID,
      teamId: config.APNS_TEAM_ID,
      privateKey: config.APNS_PRIVATE_KEY,
      productionUrl: config.APNS_PRODUCTION_URL,
      sandboxUrl: config.APNS_SANDBOX_URL,
    });
  }
  if (config.FCM_PROJECT_ID && config.FCM_CLIENT_EMAIL && config.FCM_PRIVATE_KEY) {
    providers.fcm = new FcmProvider({
      ...common,
      projectId: config.FCM_PROJECT_ID,
      clientEmail: config.FCM_CLIENT_EMAIL,
      privateKey: config.FCM_PRIVATE_KEY,
      baseUrl: config.FCM_BASE_URL,
      tokenUrl: config.FCM_TOKEN_URL,
    });
  }
  return providers;
}

@Injectable()
export class PushProviders implements OnApplicationShutdown {
  private readonly providers: ProviderMap;

  constructor(@Inject(PARLEY_CONFIG) config: PushNotificationConfig) {
    this.providers = providersFromConfig(config);
  }

  get<P extends PushProviderName>(name: P): PushProvider<P> | undefined {
    return this.providers[name];
  }

  /** Whether Web Push may send to this endpoint's host (false when Web Push is off). */
  webPushAllows(endpoint: string): boolean {
    const webPush = this.providers.webpush;
    return webPush instanceof WebPushProvider && webPush.allows(endpoint);
  }

  enabled(): PushProviderName[] {
    return (Object.keys(this.providers) as PushProviderName[]).sort();
  }

  async onApplicationShutdown(): Promise<void> {
    const all: { close?(): Promise<void> }[] = Object.values(this.providers);
    await Promise.all(all.map((p) => (p.close ? p.close() : Promise.resolve())));
  }
}
