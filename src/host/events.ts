// The host's event bus for DomainEvents: exact and wildcard ("plugin.*", "*") subscriptions;
// a failing subscriber is isolated, counted and logged, never thrown to the emitter.

import type { Logger } from 'pino';
import { reasonOf } from '../errors.js';
import type { EventHandler } from '../sdk/context.js';
import type { DomainEvent } from '../sdk/types.js';
import type { HostEventBus } from './types.js';

interface Subscription {
  pattern: string;
  handler: EventHandler<any>;
  owner?: string;
}

export class EventBusImpl implements HostEventBus {
  private readonly exact = new Map<string, Set<Subscription>>();
  /** Wildcard subscriptions, matched by prefix ("plugin.*" → "plugin."; "*" → ""). */
  private readonly wildcards = new Set<Subscription & { prefix: string }>();
  private emitted = 0;
  private delivered = 0;
  private subscriberErrors = 0;

  constructor(private readonly logger: Logger) {}

  emit<T>(type: string, data: T, source = 'plugway'): Promise<void> {
    return this.publish({ type, source, data, time: new Date().toISOString() });
  }

  /** Delivers a complete event to every matching subscriber; resolves when all have settled. */
  publish(event: DomainEvent): Promise<void> {
    this.emitted++;
    let pending: Promise<void>[] | undefined;
    const deliver = (sub: Subscription): void => {
      this.delivered++;
      try {
        const r = sub.handler(event);
        if (r && typeof (r as Promise<void>).then === 'function') {
          (pending ??= []).push((r as Promise<void>).then(undefined, (err) => this.failed(sub, event, err)));
        }
      } catch (err) {
        this.failed(sub, event, err);
      }
    };
    const subs = this.exact.get(event.type);
    if (subs) for (const sub of [...subs]) deliver(sub);
    for (const sub of this.wildcards) if (event.type.startsWith(sub.prefix)) deliver(sub);
    return pending ? Promise.all(pending).then(noop) : Promise.resolve();
  }

  on<T = unknown>(type: string, handler: EventHandler<T>, owner?: string): () => void {
    const sub: Subscription = { pattern: type, handler, owner };
    if (type.endsWith('*')) {
      const w = { ...sub, prefix: type.slice(0, -1) };
      this.wildcards.add(w);
      return () => void this.wildcards.delete(w);
    }
    let set = this.exact.get(type);
    if (!set) this.exact.set(type, (set = new Set()));
    set.add(sub);
    return () => void this.exact.get(type)?.delete(sub);
  }

  /** Removes every subscription of `owner` (a plugin that stops or fails). */
  offOwner(owner: string): void {
    for (const set of this.exact.values()) for (const s of set) if (s.owner === owner) set.delete(s);
    for (const s of this.wildcards) if (s.owner === owner) this.wildcards.delete(s);
  }

  stats(): { emitted: number; delivered: number; subscriberErrors: number } {
    return { emitted: this.emitted, delivered: this.delivered, subscriberErrors: this.subscriberErrors };
  }

  private failed(sub: Subscription, event: DomainEvent, err: unknown): void {
    this.subscriberErrors++;
    this.logger.error({ event_type: event.type, subscriber: sub.pattern, owner: sub.owner, err }, `event subscriber failed: ${reasonOf(err)}`);
  }
}

function noop(): void {}
