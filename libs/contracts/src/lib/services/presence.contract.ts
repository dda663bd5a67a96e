/**
 * Device presence, published by gateways: which gateway instance holds which device.
 * Live delivery itself needs no lookup (the holding gateway subscribes to the device's
 * live subject); presence is for whoever wants to know, e.g. to skip a push.
 */
import { z } from 'zod';
import { defineEvent } from '../contract';
import { DeviceAddressSchema, GatewayIdSchema, TimestampMsSchema } from '../primitives/ids';
import { SUBJECTS } from '../subjects';

export const PresenceChangedEventSchema = z.object({
  device: DeviceAddressSchema,
  gatewayId: GatewayIdSchema,
  status: z.enum(['online', 'offline']),
  at: TimestampMsSchema,
});

export const PresenceEvents = {
  /** Core NATS (fire and forget): presence is soft state, rebuilt as devices reconnect. */
  changed: defineEvent({
    subject: SUBJECTS.presence.changed,
    stream: undefined,
    schema: PresenceChangedEventSchema,
  }),
} as const;
