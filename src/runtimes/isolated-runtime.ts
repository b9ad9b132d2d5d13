// A PluginRuntime over N isolated instances (worker threads, or processes for `process`): least-busy
// dispatch, deadlines, lifecycle replay after a restart, crash → restart with exponential backoff →
// `failed` after too many (restart-policy.ts). The plugin's context (logs, storage, events) is
// served on the main thread by bridge-server.ts. The worker, wasm and process runtimes are all this,
// with a different instance or a different module in the thread.

import type { ResourceLimits } from 'node:worker_threads';
import { ERRORS, PlugwayError, reasonOf } from '../errors.js';
import type { ErrorCode, ErrorParams } from '../errors.js';
import type { PluginMetrics } from '../sdk/types.js';
import type { CallOptions, PluginRuntime, RuntimeInit, RuntimeStats } from './types.js';
import { WorkerInstance } from './worker/instance.js';
import type { DeathKind, InstanceSpec, IsolatedInstance } from './isolated-instance.js';
import type { BridgeOp, WireError } from './worker/protocol.js';
import { BridgeServer } from './worker/bridge-server.js';
import { ProbeTally } from './probe-tally.js';
import { RestartPolicy } from './restart-policy.js';
import { loadTimeoutMs, type RuntimeTuning } from './isolated-tuning.js';

export { DEFAULT_LOAD_TIMEOUT_MS, DEFAULT_TUNING, loadTimeoutMs, MIN_LOAD_TIMEOUT_MS, tuningOf, type RuntimeTuning } from './isolated-tuning.js';

export interface IsolatedOptions {
  type: 'worker' | 'wasm' | 'process';
  /** What one instance is, in event names and codes: runtime.worker_crashed or runtime.process_crashed. Default 'worker'. */
  unit?: 'worker' | 'process';
  /** Makes an instance (default: a worker thread). */
  createInstance?(spec: InstanceSpec): IsolatedInstance;
  serveModule: string;
  /** tsx's API URLs, when the thread must load TypeScript. */
  tsx?: { esm: string; cjs: string };
  /** Settles serveModule and tsx before the first thread starts (a checkout bundles its .ts once). */
  resolveServe?: () => Promise<{ serveModule: string; tsx?: { esm: string; cjs: string }; sdkHook?: boolean }>;
  /** Register the plugway/sdk resolve hook in each thread (default true; wasm threads run no plugin JS). */
  sdkHook?: boolean;
  extra: Record<string, unknown>;
  resourceLimits?: ResourceLimits;
  /** Each thread's process.env (the worker runtime: only what permissions.env grants). */
  env?: Record<string, string>;
  memoryMb?: number;
  /** Cap on each thread's Buffers/ArrayBuffers (MB), enforced from inside the thread; absent: none. */
  externalLimitMb?: number;
  tuning: RuntimeTuning;
  /** Maps a plugin error to the caller's error; return undefined for the default mapping. */
  toError?(wire: WireError, method: string): Error | undefined;
  /** Serves an op the generic bridge does not know (wasm: http.fetch). */
  bridgeOp?(op: BridgeOp, args: unknown[]): Promise<unknown>;
  /** Methods sent to every instance (each holds its own copy of the plugin). */
  broadcast?: ReadonlySet<string>;
}

const LIFECYCLE = new Set(['init', 'start', 'stop']);

interface Queued {
  method: string;
  args: readonly unknown[];
  deadline: number;
  /** The call's whole budget, ms, as it was when the call came in (what a timeout message reports). */
  budgetMs: number;
  signal?: AbortSignal;
  resolve(v: unknown): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
}

export class IsolatedRuntime implements PluginRuntime {
  readonly type: 'worker' | 'wasm' | 'process';
  private readonly instances: Array<IsolatedInstance | undefined> = [];
  private methods = new Set<string>();
  private replay: Array<{ method: string; args: readonly unknown[] }> = [];
  private queue: Queued[] = [];
  private readonly restarts: RestartPolicy;
  private failed?: PlugwayError;
  private disposed = false;
  private readonly timers = new Set<NodeJS.Timeout>();
  private flagsJson = '';
  private readonly counters: RuntimeStats = { calls: 0, errors: 0, timeouts: 0, inFlight: 0, totalMs: 0, restarts: 0 };
  private readonly probes = new ProbeTally();
  private readonly id: string;
  private readonly bridge: BridgeServer;

  constructor(
    private readonly init: RuntimeInit,
    private readonly opts: IsolatedOptions,
  ) {
    this.type = opts.type;
    this.id = init.manifest.id;
    this.bridge = new BridgeServer(init, opts.bridgeOp?.bind(opts));
    this.restarts = new RestartPolicy(opts.tuning);
  }

  private spec(index: number): InstanceSpec {
    const { manifest } = this.init;
    return {
      index,
      boot: {
        serveModule: this.opts.serveModule,
        pluginId: manifest.id,
        version: manifest.version,
        config: this.init.config,
        flags: this.init.context.flags.all(),
        maxResponseBytes: this.opts.tuning.maxResponseBytes,
        pollUs: this.opts.tuning.pollUs,
        ...(this.opts.externalLimitMb ? { externalLimitBytes: this.opts.externalLimitMb * 1048576 } : {}),
        extra: this.opts.extra,
        logLevel: this.init.logger.level,
      },
      ...(this.opts.tsx ? { tsx: this.opts.tsx } : {}),
      ...(this.opts.sdkHook !== undefined ? { sdkHook: this.opts.sdkHook } : {}),
      ...(this.opts.resourceLimits ? { resourceLimits: this.opts.resourceLimits } : {}),
      ...(this.opts.env ? { env: this.opts.env } : {}),
      ...(this.opts.memoryMb ? { memoryMb: this.opts.memoryMb } : {}),
      ringBytes: this.opts.tuning.ringBytes,
      giveBackGraceMs: this.opts.tuning.giveBackGraceMs,
      startTimeoutMs: this.opts.tuning.startTimeoutMs ?? loadTimeoutMs(manifest.resources),
      toError: (wire, method) => this.toError(wire, method),
      onMessage: (inst, msg) => this.bridge.onMessage(inst, msg),
      onDeath: (inst, err, kind) => this.onDeath(inst, err, kind),
    };
  }

  private newInstance(index: number): IsolatedInstance {
    const spec = this.spec(index);
    return this.opts.createInstance ? this.opts.createInstance(spec) : new WorkerInstance(spec);
  }

  private get unit(): 'worker' | 'process' {
    return this.opts.unit ?? 'worker';
  }

  async load(): Promise<void> {
    if (this.opts.resolveServe) {
      const r = await this.opts.resolveServe();
      this.opts.serveModule = r.serveModule;
      this.opts.tsx = r.tsx;
      if (r.sdkHook !== undefined) this.opts.sdkHook = r.sdkHook;
    }
    const n = Math.max(1, this.init.manifest.runtime.instances || 1);
    const started = await Promise.allSettled(
      Array.from({ length: n }, async (_, i) => {
        const inst = this.newInstance(i);
        this.instances[i] = inst;
        return inst.start();
      }),
    );
    const bad = started.find((r) => r.status === 'rejected');
    if (bad) {
      await Promise.all(this.instances.map((i) => i?.stop()));
      throw this.loadError((bad as PromiseRejectedResult).reason);
    }
    this.methods = new Set((started[0] as PromiseFulfilledResult<string[]>).value);
    this.watchContext();
  }

  private loadError(err: unknown): PlugwayError {
    const e = err as { code?: string; params?: ErrorParams; message?: string };
    if (typeof e?.code === 'string' && e.code in ERRORS) return PlugwayError.rebuilt(e.code as ErrorCode, e.params ?? { id: this.id }, { cause: err });
    return new PlugwayError('PLW_ERR_PLUGIN_IMPORT_FAILED', { id: this.id, entry: this.init.entryPath ?? '(none)', reason: reasonOf(err) }, { cause: err });
  }

  private watchContext(): void {
    const sig = this.init.context.signal;
    const onAbort = () => {
      for (const i of this.liveInstances()) i.send({ t: 'abort' });
    };
    if (sig.aborted) onAbort();
    else sig.addEventListener('abort', onAbort, { once: true });
    this.flagsJson = JSON.stringify(this.init.context.flags.all());
    const t = setInterval(() => {
      const v = this.init.context.flags.all();
      const j = JSON.stringify(v);
      if (j === this.flagsJson) return;
      this.flagsJson = j;
      for (const i of this.liveInstances()) i.send({ t: 'flags', v });
    }, 1000);
    t.unref();
    this.timers.add(t);
  }

  implements(method: string): boolean {
    return this.methods.has(method);
  }

  exports(): unknown {
    return undefined;
  }

  stats(): RuntimeStats {
    return this.probes.subtract({ ...this.counters });
  }

  call<T = unknown>(method: string, payload: readonly unknown[] = [], options: CallOptions = {}): Promise<T> {
    const p = this.counted<T>(method, payload, options);
    return options.probe ? this.probes.track(p) : p;
  }

  private async counted<T>(method: string, payload: readonly unknown[], options: CallOptions): Promise<T> {
    const t0 = performance.now();
    this.counters.calls++;
    this.counters.inFlight++;
    this.counters.lastCallAt = Date.now();
    try {
      return (await this.dispatch(method, payload, options)) as T;
    } catch (err) {
      this.counters.errors++;
      if ((err as PlugwayError).code === 'PLW_ERR_PLUGIN_TIMEOUT') this.counters.timeouts++;
      throw err;
    } finally {
      this.counters.inFlight--;
      this.counters.totalMs += performance.now() - t0;
    }
  }

  private dispatch(method: string, args: readonly unknown[], options: CallOptions): Promise<unknown> {
    if (this.failed) return Promise.reject(this.failed);
    if (this.disposed) return Promise.reject(new PlugwayError('PLW_ERR_PLUGIN_NOT_RUNNING', { id: this.id, state: 'disposed' }));
    if (!this.methods.has(method)) {
      if (LIFECYCLE.has(method)) return Promise.resolve(undefined);
      return Promise.reject(new PlugwayError('PLW_ERR_METHOD_NOT_IMPLEMENTED', { id: this.id, method }));
    }
    if (method === 'execute') {
      const action = String(args[0]);
      const allowed = this.init.manifest.actions;
      if (!allowed.includes(action)) return Promise.reject(new PlugwayError('PLW_ERR_ACTION_NOT_ALLOWED', { id: this.id, action, allowed: allowed.join(', ') || 'none' }));
    }
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(new PlugwayError('PLW_ERR_CALL_ABORTED', { id: this.id, method, reason: reasonOf(signal.reason) }));
    const deadline = options.deadline ?? Date.now() + this.init.defaultTimeoutMs;
    if (LIFECYCLE.has(method) || this.opts.broadcast?.has(method)) return this.broadcast(method, args, deadline, signal);
    const inst = this.leastBusy();
    if (inst) return inst.call(method, args, deadline, signal, this.timeoutOf(deadline));
    return this.enqueue(method, args, deadline, this.timeoutOf(deadline), signal);
  }

  private timeoutOf(deadline: number): number {
    return Math.max(0, Math.round(deadline - Date.now()));
  }

  private async broadcast(method: string, args: readonly unknown[], deadline: number, signal?: AbortSignal): Promise<unknown> {
    if (method === 'stop') this.replay = [];
    const live = this.liveInstances();
    const results = await Promise.all(live.map((i) => i.call(method, args, deadline, signal, this.timeoutOf(deadline))));
    if (method === 'init' || method === 'start') this.replay.push({ method, args });
    return results[0];
  }

  private liveInstances(): IsolatedInstance[] {
    return this.instances.filter((i): i is IsolatedInstance => i?.state === 'ready');
  }

  private leastBusy(): IsolatedInstance | undefined {
    let best: IsolatedInstance | undefined;
    for (const i of this.instances) {
      if (i?.state !== 'ready') continue;
      if (!best || i.inFlight < best.inFlight) best = i;
      if (best.inFlight === 0) break;
    }
    return best;
  }

  /**
   * No instance is ready (one is restarting): the call waits for it. If its deadline passes first, the
   * plugin never saw it: a 503 to retry, not a timeout of the plugin's (whose budget would read "0 ms").
   */
  private enqueue(method: string, args: readonly unknown[], deadline: number, budgetMs: number, signal?: AbortSignal): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const q: Queued = {
        method,
        args,
        deadline,
        budgetMs,
        resolve,
        reject,
        ...(signal ? { signal } : {}),
        timer: setTimeout(
          () => {
            this.queue = this.queue.filter((x) => x !== q);
            reject(new PlugwayError('PLW_ERR_WORKER_RESTARTING', { id: this.id, method, timeoutMs: budgetMs, retryAfter: 1 }));
          },
          Math.max(0, deadline - Date.now()),
        ),
      };
      this.queue.push(q);
    });
  }

  private drainQueue(): void {
    while (this.queue.length) {
      const inst = this.leastBusy();
      if (!inst) return;
      const q = this.queue.shift()!;
      clearTimeout(q.timer);
      inst.call(q.method, q.args, q.deadline, q.signal, q.budgetMs).then(q.resolve, q.reject);
    }
  }

  private toError(wire: WireError, method: string): Error {
    const custom = this.opts.toError?.(wire, method);
    if (custom) return custom;
    if (wire.code && wire.code in ERRORS) return PlugwayError.rebuilt(wire.code as ErrorCode, (wire.params as ErrorParams) ?? { id: this.id, method });
    const cause = Object.assign(new Error(wire.message), { name: wire.name ?? 'Error', stack: wire.stack });
    return new PlugwayError('PLW_ERR_PLUGIN_THREW', { id: this.id, method, reason: wire.message }, { cause });
  }

  private emit(type: string, data: Record<string, unknown>): void {
    try {
      this.init.onEvent?.({ type, data: { pluginId: this.id, runtime: this.type, ...data } });
    } catch (err) {
      this.init.logger.error({ err }, `onEvent handler failed for ${type}`);
    }
  }

  private onDeath(inst: IsolatedInstance, error: PlugwayError, kind: DeathKind): void {
    this.bridge.drop(inst);
    const type = `runtime.${this.unit}_${kind === 'oom' ? 'oom' : kind === 'terminated' ? 'terminated' : 'crashed'}`;
    this.emit(type, { instance: inst.index, code: error.code, reason: error.message });
    this.init.logger.warn({ instance: inst.index, code: error.code }, error.message);
    this.scheduleRestart(inst.index);
  }

  private scheduleRestart(index: number): void {
    if (this.disposed || this.failed) return;
    const decision = this.restarts.crashed();
    if (!decision.restart) {
      const { count } = decision;
      this.failed = new PlugwayError(this.unit === 'process' ? 'PLW_ERR_PROCESS_RESTART_LIMIT' : 'PLW_ERR_WORKER_RESTART_LIMIT', { id: this.id, count });
      this.emit(`runtime.${this.unit}_restart_limit`, { instance: index, count, code: this.failed.code });
      for (const q of this.queue.splice(0)) {
        clearTimeout(q.timer);
        q.reject(this.failed);
      }
      void Promise.all(this.instances.map((i) => i?.stop()));
      this.init.onAsyncError(this.failed);
      return;
    }
    const { attempt, delayMs } = decision;
    this.emit(`runtime.${this.unit}_restarting`, { instance: index, attempt, delayMs });
    const t = setTimeout(() => {
      this.timers.delete(t);
      void this.restart(index, attempt);
    }, delayMs);
    this.timers.add(t);
  }

  private async restart(index: number, attempt: number): Promise<void> {
    if (this.disposed || this.failed) return;
    const inst = this.newInstance(index);
    this.instances[index] = inst;
    let started = false;
    try {
      await inst.start();
      started = true;
      // Bring the fresh copy to where its siblings are before it takes traffic.
      inst.state = 'starting';
      for (const step of this.replay) await inst.call(step.method, step.args, Date.now() + this.init.defaultTimeoutMs, undefined, this.init.defaultTimeoutMs);
      inst.state = 'ready';
    } catch (err) {
      // Died while replaying: that death was reported and a restart scheduled. A failed start reports
      // nothing (an instance that dies before it is ready ends quietly): it counts as a crash here.
      if (started && inst.state === 'dead') return;
      await inst.stop();
      const error =
        err instanceof PlugwayError
          ? err
          : new PlugwayError(this.unit === 'process' ? 'PLW_ERR_PROCESS_START_FAILED' : 'PLW_ERR_WORKER_START_FAILED', { id: this.id, instance: index, reason: reasonOf(err) });
      this.emit(`runtime.${this.unit}_crashed`, { instance: index, code: error.code, reason: error.message });
      this.scheduleRestart(index);
      return;
    }
    if (this.disposed) return void inst.stop();
    this.counters.restarts++;
    this.emit(`runtime.${this.unit}_restarted`, { instance: index, attempt, startMs: Math.round(inst.startMs) });
    this.drainQueue();
  }

  async resourceUsage(): Promise<Partial<PluginMetrics>> {
    const per = await Promise.all(
      this.instances.map(async (inst, index) => {
        if (inst?.state !== 'ready') return { index, state: inst?.state ?? 'absent', cpuPercent: 0, heapUsedMb: 0, heapLimitMb: 0, externalMb: 0 };
        const cpu = inst.cpuPercent();
        const u = await inst.usage();
        const mb = (b?: number) => Math.round(((b ?? 0) / 1048576) * 10) / 10;
        return { index, state: u ? 'ready' : 'busy', cpuPercent: Math.round(cpu * 10) / 10, heapUsedMb: mb(u?.heapUsed), heapLimitMb: mb(u?.heapLimit), externalMb: mb(u?.external) };
      }),
    );
    const c = this.counters;
    return {
      requestCount: c.calls,
      errorCount: c.errors,
      responseTimeMs: c.calls ? c.totalMs / c.calls : 0,
      activeConnections: c.inFlight,
      cpuUsagePercent: Math.round(per.reduce((s, p) => s + p.cpuPercent, 0) * 10) / 10,
      memoryUsageMb: Math.round(per.reduce((s, p) => s + p.heapUsedMb + p.externalMb, 0) * 10) / 10,
      restarts: c.restarts,
      instances: per,
    };
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const q of this.queue.splice(0)) {
      clearTimeout(q.timer);
      q.reject(new PlugwayError('PLW_ERR_PLUGIN_NOT_RUNNING', { id: this.id, state: 'disposed' }));
    }
    for (const inst of this.instances) if (inst) this.bridge.drop(inst);
    await Promise.all(this.instances.map((i) => i?.stop()));
  }
}
