/**
 * Delivers a daemon's events to the clients subscribed to them. Events are sent in the
 * order they are emitted, on each client's own channel, so every subscriber sees the
 * same order.
 */
import type { EventDataOf, EventDecl } from '../protocol/procedure.js';
import type { RpcServer } from './rpc-server.js';

/** Decides whether a subscription's filter (e.g. `{ uuid }`) accepts an event. */
export type EventMatcher = (filter: Readonly<Record<string, string>>) => boolean;

export class EventBus {
  constructor(private readonly server: RpcServer) {}

  emit<E extends EventDecl>(event: E, data: EventDataOf<E>, matches?: EventMatcher): number {
    let delivered = 0;
    for (const client of this.server.clientList) {
      if (client.channel.isClosed) continue;
      for (const [callbackId, subscription] of client.subscriptions) {
        if (subscription.event !== event.number) continue;
        if (subscription.filter && matches && !matches(subscription.filter)) continue;
        client.sendEvent(callbackId, event.number, data);
        delivered++;
      }
    }
    return delivered;
  }
}
