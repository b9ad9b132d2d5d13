// Plugin lifecycle: the legal transitions and the steps (load, init, start, stop), each run through
// the runtime with a deadline. A step that throws, rejects or times out fails that plugin alone.

import type { Logger } from 'pino';
import { PlugwayError, isPlugwayError, reasonOf } from '../errors.js';
import type { PluginRuntime } from '../runtimes/types.js';
import type { PluginState } from '../sdk/types.js';
import type { EventBusImpl } from './events.js';
import type { HealthMonitor } from './health.js';
import type { HookManagerImpl } from './hooks.js';
import type { PluginRecord, Registry } from './registry.js';
import type { StateChange } from './types.js';
import { kindContractError } from '../manifest/plugin-contract.js';

/** Legal transitions; `failed` is reachable from every state but itself. */
export const TRANSITIONS: Readonly<Record<PluginState, readonly PluginState[]>> = {
  unloaded: ['loaded', 'failed'],
  loaded: ['initialized', 'unloaded', 'failed'],
  initialized: ['running', 'stopping', 'failed'],
  running: ['stopping', 'failed'],
  stopping: ['stopped', 'failed'],
  stopped: ['running', 'unloaded', 'failed'],
  failed: ['unloaded'],
};

export function canTransition(from: PluginState, to: PluginState): boolean {
  return TRANSITIONS[from].includes(to);
}

export type LifecycleStep = 'load' | 'init' | 'start' | 'stop';

export interface LifecycleDeps {
  registry: Registry;
  events: EventBusImpl;
  hooks: HookManagerImpl;
  health: HealthMonitor;
  logger: Logger;
  defaultTimeoutMs: number;
  /** Creates the plugin's runtime (and its context). */
  createRuntime(rec: PluginRecord): Promise<PluginRuntime>;
}

export class Lifecycle {
  constructor(private readonly deps: LifecycleDeps) {}

  timeoutOf(rec: PluginRecord): number {
    return rec.manifest.resources.timeoutMs ?? this.deps.defaultTimeoutMs;
  }

  /**
   * Loading (import, worker start, wasm compile) is plugway's work more than the plugin's: a
   * short per-call `resources.timeout` must not fail a worker whose cold start takes longer.
   */
  private stepTimeoutOf(rec: PluginRecord, step: LifecycleStep): number {
    const ms = this.timeoutOf(rec);
    return step === 'load' ? Math.max(ms, this.deps.defaultTimeoutMs) : ms;
  }

  /**
   * Moves `rec` to `to`, or throws PLW_ERR_ILLEGAL_TRANSITION. The state changes synchronously;
   * the returned promise settles once the event and the lifecycle.<to> hooks have run.
   */
  transition(rec: PluginRecord, to: PluginState, error?: PlugwayError): Promise<void> {
    const from = rec.state;
    if (!canTransition(from, to)) throw new PlugwayError('PLW_ERR_ILLEGAL_TRANSITION', { id: rec.id, from, to });
    this.deps.registry.setState(rec, to);
    if (to === 'failed') {
      rec.error = error;
      rec.failedFrom = from;
    } else if (to === 'running') {
      rec.error = undefined;
    }
    const change: StateChange = { id: rec.id, version: rec.version, from, to };
    if (error) change.error = { code: error.code, message: error.message };
    this.deps.logger.debug({ plugin_id: rec.id, version: rec.version, from, to }, `${rec.id}@${rec.version}: ${from} → ${to}`);
    const emitted = this.deps.events.emit('plugin.state_changed', change);
    return this.deps.hooks.has(`lifecycle.${to}`) ? emitted.then(() => this.deps.hooks.run(`lifecycle.${to}`, change)) : emitted;
  }

  /** Goes to failed with the error kept, releasing what the plugin held in the host. */
  async fail(rec: PluginRecord, error: PlugwayError): Promise<void> {
    if (rec.state === 'failed') {
      rec.error ??= error;
      return;
    }
    this.deps.logger.error({ plugin_id: rec.id, version: rec.version, code: error.code, err: error }, error.message);
    rec.abort?.abort(error);
    this.deps.health.unschedule(rec);
    this.deps.events.offOwner(rec.key);
    await this.transition(rec, 'failed', error);
  }

  /** unloaded → loaded: create the runtime and import the code. */
  async load(rec: PluginRecord): Promise<void> {
    this.assertCan(rec, 'loaded');
    try {
      rec.abort = new AbortController();
      const runtime = await this.deps.createRuntime(rec);
      rec.runtime = runtime;
      await this.withDeadline(rec, 'load', runtime.load());
      // The kind's contract, the same for every runtime (plugin-contract.ts).
      const broken = kindContractError(rec.manifest, (m) => runtime.implements(m));
      if (broken) throw broken;
    } catch (err) {
      throw await this.failStep(rec, 'load', err);
    }
    rec.loadedAt = new Date();
    await this.transition(rec, 'loaded');
  }

  /** loaded → initialized: init(ctx), then what the plugin exports to its dependents. */
  async init(rec: PluginRecord): Promise<void> {
    this.assertCan(rec, 'initialized');
    const runtime = rec.runtime!;
    try {
      if (runtime.implements('init')) await runtime.call('init', [], { deadline: Date.now() + this.timeoutOf(rec) });
      const exported = runtime.exports();
      rec.exported = typeof exported === 'function' ? await this.withDeadline(rec, 'init', Promise.resolve((exported as (c: unknown) => unknown)(rec.context))) : exported;
      rec.exportsReady = true;
    } catch (err) {
      throw await this.failStep(rec, 'init', err);
    }
    await this.transition(rec, 'initialized');
  }

  /** initialized | stopped → running. */
  async start(rec: PluginRecord): Promise<void> {
    this.assertCan(rec, 'running');
    if (!rec.abort || rec.abort.signal.aborted) rec.abort = new AbortController();
    const runtime = rec.runtime!;
    try {
      if (runtime.implements('start')) await runtime.call('start', [], { deadline: Date.now() + this.timeoutOf(rec) });
    } catch (err) {
      throw await this.failStep(rec, 'start', err);
    }
    await this.transition(rec, 'running');
    this.deps.health.schedule(rec);
  }

  /** running | initialized → stopping → stopped; the plugin's signal fires first. */
  async stop(rec: PluginRecord): Promise<void> {
    if (rec.state === 'stopped' || rec.state === 'unloaded' || rec.state === 'failed') return;
    if (rec.state === 'loaded') {
      // Imported but never initialized: nothing of the plugin's runs yet.
      await this.unload(rec);
      return;
    }
    this.assertCan(rec, 'stopping');
    this.deps.health.unschedule(rec);
    await this.transition(rec, 'stopping');
    rec.abort?.abort(new Error(`plugin ${rec.id} is stopping`));
    this.deps.events.offOwner(rec.key);
    const runtime = rec.runtime!;
    try {
      if (runtime.implements('stop')) await runtime.call('stop', [], { deadline: Date.now() + this.timeoutOf(rec) });
    } catch (err) {
      throw await this.failStep(rec, 'stop', err);
    }
    await this.transition(rec, 'stopped');
    await this.deps.health.set(rec, 'unknown');
  }

  /**
   * Before failing a live plugin for something outside it (a dependency failed, an async error),
   * give it a chance to release what it holds: its signal fires and stop() runs, errors ignored.
   */
  async release(rec: PluginRecord): Promise<void> {
    rec.abort?.abort(new Error(`plugin ${rec.id} is being failed`));
    const runtime = rec.runtime;
    if ((rec.state !== 'running' && rec.state !== 'initialized') || !runtime?.implements('stop')) return;
    await runtime.call('stop', [], { deadline: Date.now() + this.timeoutOf(rec) }).catch((err) => {
      this.deps.logger.warn({ plugin_id: rec.id, err }, `stop while failing it threw: ${reasonOf(err)}`);
    });
  }

  /** loaded | stopped | failed → unloaded: the runtime is disposed (the next load re-imports). */
  async unload(rec: PluginRecord): Promise<void> {
    this.assertCan(rec, 'unloaded');
    await this.dispose(rec);
    await this.transition(rec, 'unloaded');
  }

  async dispose(rec: PluginRecord): Promise<void> {
    const runtime = rec.runtime;
    rec.runtime = undefined;
    rec.exported = undefined;
    rec.exportsReady = false;
    if (runtime) await runtime.dispose().catch((err) => this.deps.logger.warn({ plugin_id: rec.id, err }, `dispose failed: ${reasonOf(err)}`));
  }

  /** Moves the plugin forward to running from wherever it is (unloaded, loaded, initialized, stopped). */
  async bringUp(rec: PluginRecord): Promise<void> {
    if (rec.state === 'running') return;
    if (rec.state === 'stopped' && !rec.runtime) await this.transition(rec, 'unloaded');
    if (rec.state === 'unloaded') await this.load(rec);
    if (rec.state === 'loaded') await this.init(rec);
    await this.start(rec);
  }

  private assertCan(rec: PluginRecord, to: PluginState): void {
    if (!canTransition(rec.state, to)) throw new PlugwayError('PLW_ERR_ILLEGAL_TRANSITION', { id: rec.id, from: rec.state, to });
  }

  /** Turns a step's failure into a coded error, fails the plugin with it and returns it. */
  private async failStep(rec: PluginRecord, step: LifecycleStep, err: unknown): Promise<PlugwayError> {
    let coded: PlugwayError;
    if (isPlugwayError(err, 'PLW_ERR_PLUGIN_TIMEOUT') || isPlugwayError(err, 'PLW_ERR_LIFECYCLE_TIMEOUT')) {
      coded = new PlugwayError('PLW_ERR_LIFECYCLE_TIMEOUT', { id: rec.id, step, timeoutMs: this.stepTimeoutOf(rec, step) }, { cause: err });
    } else if (isPlugwayError(err, 'PLW_ERR_PLUGIN_THREW')) {
      coded = new PlugwayError('PLW_ERR_LIFECYCLE_FAILED', { id: rec.id, step, reason: String(err.params.reason) }, { cause: err.cause });
    } else if (isPlugwayError(err)) {
      coded = err; // already specific: import failed, kind contract, entry invalid …
    } else {
      coded = new PlugwayError('PLW_ERR_LIFECYCLE_FAILED', { id: rec.id, step, reason: reasonOf(err) }, { cause: err });
    }
    await this.fail(rec, coded);
    return coded;
  }

  /** Races a step that is not a runtime call (import, exports factory) against the plugin's timeout. */
  private withDeadline<T>(rec: PluginRecord, step: LifecycleStep, p: Promise<T>): Promise<T> {
    const ms = this.stepTimeoutOf(rec, step);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new PlugwayError('PLW_ERR_LIFECYCLE_TIMEOUT', { id: rec.id, step, timeoutMs: ms })), ms);
    });
    return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
  }
}

/** Resolves once plugin `id` is running (at once if it is), rejects when it fails or after `ms`. */
export function whenRunning(registry: Registry, events: EventBusImpl, id: string, ms: number): Promise<void> {
  const state = () => registry.get(id)?.state;
  if (state() === 'running') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const done = (err?: Error) => {
      clearTimeout(timer);
      off();
      if (err) reject(err);
      else resolve();
    };
    const timer = setTimeout(() => done(new Error(`${id} is ${state() ?? 'not registered'} after ${ms} ms`)), ms);
    const off = events.on<StateChange>('plugin.state_changed', (e) => {
      if (e.data.id !== id) return;
      if (e.data.to === 'running') done();
      else if (e.data.to === 'failed') done(new Error(`${id} failed: ${e.data.error?.message ?? 'unknown error'}`));
    });
  });
}
