// Hooks (onRequest, onResponse, onError, onProviderSwitch, lifecycle.*): each runs with a timeout,
// is isolated (a failure is counted and logged, never thrown) and measured (count, errors, mean, p99).

import type { Logger } from 'pino';
import { reasonOf } from '../errors.js';
import type { HookManager, HookName, HookStats } from './types.js';

export const DEFAULT_HOOK_TIMEOUT_MS = 5000;
/** Durations kept per hook name for p99: a bounded reservoir (Vitter's algorithm R). */
const RESERVOIR_SIZE = 1024;

interface Hook {
  fn: (payload: any) => unknown;
  timeoutMs: number;
  owner?: string;
}

class HookStat {
  fired = 0;
  count = 0;
  errors = 0;
  timeouts = 0;
  totalMs = 0;
  readonly reservoir: number[] = [];

  record(ms: number): void {
    this.count++;
    this.totalMs += ms;
    if (this.reservoir.length < RESERVOIR_SIZE) this.reservoir.push(ms);
    else {
      const j = Math.floor(Math.random() * this.count);
      if (j < RESERVOIR_SIZE) this.reservoir[j] = ms;
    }
  }

  snapshot(): HookStats {
    const sorted = [...this.reservoir].sort((a, b) => a - b);
    const p99 = sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.99) - 1)]! : 0;
    return {
      fired: this.fired,
      count: this.count,
      errors: this.errors,
      timeouts: this.timeouts,
      meanMs: this.count ? this.totalMs / this.count : 0,
      p99Ms: p99,
    };
  }
}

const TIMED_OUT = Symbol('timed out');

export class HookManagerImpl implements HookManager {
  private readonly hooks = new Map<string, Hook[]>();
  private readonly stat = new Map<string, HookStat>();
  private readonly changeListeners = new Set<() => void>();

  constructor(
    private readonly logger: Logger,
    private readonly defaultTimeoutMs = DEFAULT_HOOK_TIMEOUT_MS,
  ) {}

  add<T>(name: HookName, fn: (payload: T) => unknown, options: { timeoutMs?: number; owner?: string } = {}): () => void {
    const hook: Hook = { fn, timeoutMs: options.timeoutMs ?? this.defaultTimeoutMs, owner: options.owner };
    // Copy on write: a run in progress keeps iterating the list it started with.
    this.hooks.set(name, [...(this.hooks.get(name) ?? []), hook]);
    this.changed();
    return () => {
      const list = this.hooks.get(name);
      if (list)
        this.hooks.set(
          name,
          list.filter((h) => h !== hook),
        );
      this.changed();
    };
  }

  onChange(fn: () => void): () => void {
    this.changeListeners.add(fn);
    return () => void this.changeListeners.delete(fn);
  }

  private changed(): void {
    for (const fn of this.changeListeners) fn();
  }

  has(name: HookName): boolean {
    return (this.hooks.get(name)?.length ?? 0) > 0;
  }

  async run<T>(name: HookName, payload: T): Promise<void> {
    const list = this.hooks.get(name);
    let stat = this.stat.get(name);
    if (!stat) this.stat.set(name, (stat = new HookStat()));
    stat.fired++;
    if (!list || list.length === 0) return;
    // In order: a hook may rely on what an earlier one did to the payload.
    for (const hook of list) await this.runOne(name, hook, payload, stat);
  }

  private async runOne(name: string, hook: Hook, payload: unknown, stat: HookStat): Promise<void> {
    const t0 = performance.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      const r = hook.fn(payload);
      if (r && typeof (r as Promise<unknown>).then === 'function') {
        const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
          timer = setTimeout(resolve, hook.timeoutMs, TIMED_OUT);
        });
        const outcome = await Promise.race([r as Promise<unknown>, timeout]);
        if (outcome === TIMED_OUT) {
          stat.timeouts++;
          this.logger.warn({ hook: name, owner: hook.owner, timeout_ms: hook.timeoutMs }, `hook ${name} timed out after ${hook.timeoutMs} ms`);
        }
      }
    } catch (err) {
      stat.errors++;
      this.logger.error({ hook: name, owner: hook.owner, err }, `hook ${name} failed: ${reasonOf(err)}`);
    } finally {
      if (timer) clearTimeout(timer);
      stat.record(performance.now() - t0);
    }
  }

  stats(): Record<string, HookStats> {
    const out: Record<string, HookStats> = {};
    for (const [name, s] of this.stat) out[name] = s.snapshot();
    return out;
  }
}
