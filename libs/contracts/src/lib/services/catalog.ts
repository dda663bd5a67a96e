/** All request/reply contracts and all events, by service. */
import { DeliveryEvents, DeliveryRpc } from './delivery.contract';
import { GroupEvents, GroupRpc } from './groups.contract';
import { PrekeyEvents, PrekeyRpc } from './prekeys.contract';
import { PresenceEvents } from './presence.contract';
import { PushRpc } from './push.contract';

export const Rpc = {
  prekeys: PrekeyRpc,
  groups: GroupRpc,
  delivery: DeliveryRpc,
  push: PushRpc,
} as const;

export const Events = {
  prekeys: PrekeyEvents,
  groups: GroupEvents,
  delivery: DeliveryEvents,
  presence: PresenceEvents,
} as const;
