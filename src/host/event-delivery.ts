// Domain events to plugins: one published here goes to the host's subscribers, to every running
// plugin with handleEvent (except its source), and, when it was born here, to the cluster's relays.

import type { Logger } from 'pino';
import { PlugwayError, reasonOf } from '../errors.js';
import type { DomainEvent } from '../sdk/types.js';
import type { EventBusImpl } from './events.js';
import type { Registry } from './registry.js';
import type { PublishOptions } from './types.js';

export class EventDelivery {
  private readonly relays = new Set<(event: DomainEvent) => void>();

  constructor(
    private readonly registry: Registry,
    private readonly events: EventBusImpl,
    private readonly logger: Logger,
  ) {}

  async publish(event: Omit<DomainEvent, 'time'> & { time?: string }, options: PublishOptions = {}): Promise<void> {
    const full: DomainEvent = { ...event, time: event.time ?? new Date().toISOString() };
    // Events born here go to the cluster's transport too (events from other nodes do not go back).
    if (!options.remote) for (const relay of this.relays) relay(full);
    const deliveries: Promise<unknown>[] = [this.events.publish(full)];
    for (const rec of this.registry.list({ state: 'running' })) {
      if (rec.id === full.source || !rec.runtime?.implements('handleEvent') || options.exclude?.(rec.id)) continue;
      deliveries.push(
        rec.runtime.call('handleEvent', [full]).catch((err) => {
          this.logger.error({ plugin_id: rec.id, event_type: full.type, err }, `handleEvent failed: ${reasonOf(err)}`);
        }),
      );
    }
    await Promise.all(deliveries);
  }

  onPublish(relay: (event: DomainEvent) => void): () => void {
    this.relays.add(relay);
    return () => this.relays.delete(relay);
  }

  /** Delivers `event` to plugin `id` alone (a cluster node handing on an event addressed to it). */
  async deliver(id: string, event: DomainEvent): Promise<void> {
    const rec = this.registry.get(id);
    if (!rec) throw new PlugwayError('PLW_ERR_PLUGIN_NOT_FOUND', { id });
    if (rec.state !== 'running' || !rec.runtime?.implements('handleEvent')) throw new PlugwayError('PLW_ERR_PLUGIN_NOT_RUNNING', { id, state: rec.state });
    await rec.runtime.call('handleEvent', [event]);
  }
}
