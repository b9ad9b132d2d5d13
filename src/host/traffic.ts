// Which instance a call goes to, and the one count of calls: every host call lands on exactly one
// version (the active one, or a canary by its share) and is counted and timed on it, here, until it settles.

import type { CallOptions } from '../runtimes/types.js';
import type { PluginRecord } from './registry.js';

/** Epoch ms at performance.now() = 0. */
const TIME_ORIGIN = performance.timeOrigin;

export interface CallCounters {
  inFlight: number;
  calls: number;
  /** Thrown calls, and handleRequest answers with a 5xx status. */
  errors: number;
  totalMs: number;
}

export interface CanarySplit {
  canary: PluginRecord;
  /** Share of calls for the canary, 0..100. */
  percent: number;
  stickyBy: 'user' | 'none';
}

export type SettledListener = (rec: PluginRecord, failed: boolean) => void;

/**
 * Where a call that its caller settles (Traffic.begin / end) keeps its version, counters and start:
 * a gateway request's context, which has one such call in flight at a time.
 */
export interface CallSlot {
  callRec: PluginRecord | undefined;
  callCounters: CallCounters | undefined;
  callStart: number;
}

/** FNV-1a, 32 bit: a stable, fast bucket for a routing key. */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Whether `key` falls in the canary's share (buckets of 0.01 %); no key: a coin toss. */
export function inCanary(id: string, key: string | undefined, percent: number): boolean {
  if (percent <= 0) return false;
  if (percent >= 100) return true;
  const bucket = key === undefined ? Math.floor(Math.random() * 10_000) : fnv1a(`${id}|${key}`) % 10_000;
  return bucket < Math.round(percent * 100);
}

/** The routing key of a call: the user (sticky_by user), else the request id, from a request-shaped first argument. */
export function routingKey(payload: readonly unknown[] | undefined, stickyBy: 'user' | 'none'): string | undefined {
  const req = payload?.[0] as { id?: unknown; userId?: unknown; user?: { id?: unknown } } | undefined;
  if (!req || typeof req !== 'object') return undefined;
  if (stickyBy === 'user') {
    const u = req.userId ?? req.user?.id;
    if ((typeof u === 'string' && u) || typeof u === 'number') return `u:${u}`;
  }
  return typeof req.id === 'string' ? `r:${req.id}` : undefined;
}

export function isServerError(result: unknown): boolean {
  const s = (result as { statusCode?: unknown } | null)?.statusCode;
  return typeof s === 'number' && s >= 500;
}

export class Traffic {
  private readonly counters = new WeakMap<PluginRecord, CallCounters>();
  private readonly splits = new Map<string, CanarySplit>();
  private readonly idleWaiters = new Map<PluginRecord, Set<() => void>>();
  private readonly listeners = new Set<SettledListener>();

  countersOf(rec: PluginRecord): CallCounters {
    let c = this.counters.get(rec);
    if (!c) this.counters.set(rec, (c = { inFlight: 0, calls: 0, errors: 0, totalMs: 0 }));
    return c;
  }

  /** The instance a call to `active.id` goes to. */
  choose(active: PluginRecord, payload: readonly unknown[] | undefined): PluginRecord {
    if (this.splits.size === 0) return active;
    const split = this.splits.get(active.id);
    if (!split || split.canary.state !== 'running') return active;
    return inCanary(active.id, routingKey(payload, split.stickyBy), split.percent) ? split.canary : active;
  }

  split(id: string): CanarySplit | undefined {
    return this.splits.get(id);
  }

  setSplit(id: string, split: CanarySplit): void {
    this.splits.set(id, split);
  }

  clearSplit(id: string): void {
    this.splits.delete(id);
  }

  /**
   * Runs one call on `rec`: the value when the runtime answers synchronously (PluginRuntime.invoke),
   * else a promise; a refusal or throw is thrown. The one place a call is counted and timed
   * (calls, errors — a thrown call or a 5xx answer to handleRequest —, in flight, duration, last used).
   */
  invoke<T>(rec: PluginRecord, method: string, payload: readonly unknown[] | undefined, options: CallOptions | undefined): T | Promise<T> {
    const c = this.countersOf(rec);
    c.inFlight++;
    c.calls++;
    const runtime = rec.runtime!;
    const start = performance.now();
    rec.lastUsedMs = TIME_ORIGIN + start;
    let r: T | Promise<T>;
    try {
      r = runtime.invoke ? runtime.invoke<T>(method, payload, options) : runtime.call<T>(method, payload, options);
    } catch (err) {
      this.settled(rec, c, performance.now() - start, true);
      throw err;
    }
    if (!(r instanceof Promise)) {
      this.settled(rec, c, performance.now() - start, method === 'handleRequest' && isServerError(r));
      return r;
    }
    return r.then(
      (result) => {
        this.settled(rec, c, performance.now() - start, method === 'handleRequest' && isServerError(result));
        return result;
      },
      (err: unknown) => {
        this.settled(rec, c, performance.now() - start, true);
        throw err;
      },
    );
  }

  /**
   * invoke() for a caller that continues on the answer itself (the gateway's steps): the runtime's
   * answer as it comes, a value or the runtime's own promise, with no continuation of ours on it.
   * The call is counted now, its version and start kept in `slot`; the caller ends it exactly once
   * with end(slot, failed) when it settles (a throw from here included). `now`: a clock read the
   * caller just took (the gateway's dispatcher reads the clock once per resumption, not per call).
   */
  begin<T>(rec: PluginRecord, method: string, payload: readonly unknown[] | undefined, options: CallOptions | undefined, slot: CallSlot, now = performance.now()): T | Promise<T> {
    const c = this.countersOf(rec);
    c.inFlight++;
    c.calls++;
    const start = now;
    rec.lastUsedMs = TIME_ORIGIN + start;
    slot.callRec = rec;
    slot.callCounters = c;
    slot.callStart = start;
    const runtime = rec.runtime!;
    return runtime.invoke ? runtime.invoke<T>(method, payload, options) : runtime.call<T>(method, payload, options);
  }

  /** Ends the call begun in `slot` (a no-op when none is); `now`: a clock read the caller just took. */
  end(slot: CallSlot, failed: boolean, now = performance.now()): void {
    const rec = slot.callRec;
    if (rec === undefined) return;
    slot.callRec = undefined;
    this.settled(rec, slot.callCounters!, now - slot.callStart, failed);
  }

  /**
   * Counts a long-lived use of `rec` (an open WebSocket) as in flight until the returned release is
   * called, so a hot swap's drain waits for it; not counted as a call.
   */
  hold(rec: PluginRecord): () => void {
    const c = this.countersOf(rec);
    c.inFlight++;
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      c.inFlight--;
      if (c.inFlight === 0) {
        const waiters = this.idleWaiters.get(rec);
        if (waiters) for (const w of [...waiters]) w();
      }
    };
  }

  /** Resolves once `rec` has nothing in flight, or after timeoutMs with what is left. */
  drain(rec: PluginRecord, timeoutMs: number): Promise<{ drained: boolean; inFlight: number }> {
    const c = this.countersOf(rec);
    if (c.inFlight === 0) return Promise.resolve({ drained: true, inFlight: 0 });
    return new Promise((resolve) => {
      let set = this.idleWaiters.get(rec);
      if (!set) this.idleWaiters.set(rec, (set = new Set()));
      const done = (): void => {
        clearTimeout(timer);
        set!.delete(done);
        // an empty entry would keep every settled call looking for waiters
        if (set!.size === 0 && this.idleWaiters.get(rec) === set) this.idleWaiters.delete(rec);
        resolve({ drained: c.inFlight === 0, inFlight: c.inFlight });
      };
      const timer = setTimeout(done, timeoutMs);
      set.add(done);
    });
  }

  onSettled(fn: SettledListener): () => void {
    this.listeners.add(fn);
    return () => void this.listeners.delete(fn);
  }

  private settled(rec: PluginRecord, c: CallCounters, ms: number, failed: boolean): void {
    c.inFlight--;
    if (failed) c.errors++;
    c.totalMs += ms;
    if (c.inFlight === 0 && this.idleWaiters.size !== 0) {
      const waiters = this.idleWaiters.get(rec);
      if (waiters) for (const w of [...waiters]) w();
    }
    if (this.listeners.size === 0) return;
    // A listener's bug must not turn a plugin's answer into an error.
    for (const l of this.listeners) {
      try {
        l(rec, failed);
      } catch {
        /* ignored */
      }
    }
  }
}
