/**
 * Every NATS subject of Parley, built in one place. An optional namespace prefix (for
 * example `PARLEY_NATS_PREFIX=ci-4711`) goes in front of every subject and stream name, so
 * concurrent test suites, or several deployments on one NATS cluster, never see each
 * other's traffic. Handlers declare the plain subjects (`SUBJECTS`); the server kit adds
 * the namespace when it subscribes and when it sends.
 */
import { DeviceIdSchema, GatewayIdSchema, UserIdSchema } from './primitives/ids';

export const SUBJECT_ROOT = 'parley';

/** Dot-separated tokens of `[A-Za-z0-9_-]`; no wildcards, no empty tokens. */
const NAMESPACE_PATTERN = /^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*$/;
const NAMESPACE_MAX_LENGTH = 64;

export function isValidNamespace(namespace: string): boolean {
  return namespace.length <= NAMESPACE_MAX_LENGTH && NAMESPACE_PATTERN.test(namespace);
}

/** `subject` inside `namespace` (unchanged when the namespace is empty or undefined). */
export function namespaced(namespace: string | undefined, subject: string): string {
  if (!namespace) return subject;
  if (!isValidNamespace(namespace)) {
    throw new TypeError(`invalid NATS namespace: ${JSON.stringify(namespace)}`);
  }
  return `${namespace}.${subject}`;
}

export function createSubjects(namespace?: string) {
  const s = (rest: string) => namespaced(namespace, `${SUBJECT_ROOT}.${rest}`);
  return {
    prekeys: {
      registerDevice: s('prekeys.register-device'),
      uploadOneTimePreKeys: s('prekeys.upload-one-time'),
      fetchBundles: s('prekeys.fetch-bundles'),
      rotateSignedPreKey: s('prekeys.rotate-signed'),
      getStock: s('prekeys.stock'),
      getDevice: s('prekeys.device'),
      listDevices: s('prekeys.list-devices'),
      /**
       * A user's device set changed (core NATS, published before the directory answers the
       * change): caches of device lists drop that user.
       */
      devicesChanged: s('prekeys.devices-changed'),
    },
    groups: {
      create: s('groups.create'),
      addMembers: s('groups.add-members'),
      removeMembers: s('groups.remove-members'),
      listMembers: s('groups.list-members'),
      getChain: s('groups.chain'),
    },
    delivery: {
      sendPairwise: s('delivery.send-pairwise'),
      sendGroup: s('delivery.send-group'),
      fetchMailbox: s('delivery.fetch-mailbox'),
      ack: s('delivery.ack'),
      /** Many sends and acks in one request (the gateway coalesces what arrives together). */
      batch: s('delivery.batch'),
    },
    push: {
      register: s('push.register'),
      unregister: s('push.unregister'),
    },
    presence: {
      /** Gateways publish when a device connects or disconnects (core NATS). */
      changed: s('presence.changed'),
    },
    mailbox: {
      /**
       * A message-delivery instance started (core NATS): live deliveries of an instance that
       * died may be lost, so gateways tell connected devices to read their mailboxes.
       */
      resync: s('mailbox.resync'),
    },
    live: {
      /**
       * The gateway holding a device's socket subscribes here (no queue group) and answers
       * live deliveries; "no responders" means the device is offline.
       */
      device: (userId: string, deviceId: number) => s(`live.${liveToken(userId, deviceId)}`),
      /** Every live-delivery subject (monitoring, tests). */
      all: s('live.>'),
    },
    liveBatch: {
      /**
       * Each gateway instance subscribes here for live deliveries to the devices it holds
       * (message-delivery learns which from `presence.changed`): one request per gateway
       * instead of one per device (live-batch.wire.ts).
       */
      gateway: (gatewayId: string) => s(`live-batch.${gatewayToken(gatewayId)}`),
    },
    events: {
      prekeysLow: s('events.prekeys.low'),
      membershipChanged: s('events.group.membership.changed'),
      storedForOfflineDevice: s('events.message.stored-for-offline-device'),
      /** Everything the events stream captures. */
      all: s('events.>'),
    },
  } as const;
}

export type ParleySubjects = ReturnType<typeof createSubjects>;

/** The plain subjects, without namespace: what `@MessagePattern` and contracts use. */
export const SUBJECTS: ParleySubjects = createSubjects();

function liveToken(userId: string, deviceId: number): string {
  // Both parts end up inside a subject: refuse anything that could add tokens or wildcards.
  if (!UserIdSchema.safeParse(userId).success) {
    throw new TypeError('invalid user id for a live-delivery subject');
  }
  if (!DeviceIdSchema.safeParse(deviceId).success) {
    throw new TypeError('invalid device id for a live-delivery subject');
  }
  return `${userId}.${deviceId}`;
}

function gatewayToken(gatewayId: string): string {
  if (!GatewayIdSchema.safeParse(gatewayId).success) {
    throw new TypeError('invalid gateway id for a live-batch subject');
  }
  return gatewayId;
}

/** The services, also their NATS queue groups: instances of one service share the work. */
export const SERVICES = {
  gateway: 'gateway',
  prekeyDirectory: 'prekey-directory',
  groupMembership: 'group-membership',
  messageDelivery: 'message-delivery',
  pushNotification: 'push-notification',
} as const;
export type ServiceName = (typeof SERVICES)[keyof typeof SERVICES];

/** Queue group of a service's request handlers (one name per service). */
export function queueGroupOf(service: ServiceName): string {
  return service;
}

/** JetStream streams (names without namespace). */
export const STREAMS = {
  /** Events that must not be lost: `parley.events.>`. */
  events: 'PARLEY_EVENTS',
} as const;
export type StreamKey = keyof typeof STREAMS;

/**
 * A stream or consumer name inside a namespace. JetStream names may not contain `.`,
 * `*`, `>` or whitespace, so the namespace's dots become underscores.
 */
export function namespacedName(namespace: string | undefined, name: string): string {
  if (!namespace) return name;
  if (!isValidNamespace(namespace)) {
    throw new TypeError(`invalid NATS namespace: ${JSON.stringify(namespace)}`);
  }
  return `${namespace.replace(/\./g, '_')}_${name}`;
}

/** The subjects a stream captures, inside a namespace. */
export function streamSubjects(namespace: string | undefined, stream: StreamKey): string[] {
  const subjects = createSubjects(namespace);
  const captured: Record<StreamKey, string[]> = { events: [subjects.events.all] };
  return captured[stream];
}
