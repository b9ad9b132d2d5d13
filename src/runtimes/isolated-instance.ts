// One copy of a plugin that IsolatedRuntime balances over, restarts and ends: a worker thread
// (worker/instance.ts, also wasm's) or a sandboxed child process (process/instance.ts). What they
// share lives here: the calls in flight with their deadlines and aborts, and the ping after a
// deadline that tells an instance busy with other work from one stuck in the call (then ended).

import { PlugwayError } from '../errors.js';
import type { ResourceLimits } from 'node:worker_threads';
import type { ToMain, ToWorker, WireError, WorkerBoot } from './worker/protocol.js';

export type DeathKind = 'crashed' | 'oom' | 'exited' | 'terminated';

/** Usage figures an instance reports (a process reports its memory as heapUsed; external 0). */
export type InstanceUsage = Extract<ToMain, { t: 'usage' }>;

export interface InstanceSpec {
  index: number;
  boot: Omit<WorkerBoot, 'rings' | 'bulkPort' | 'instance'> & { logLevel?: string };
  tsx?: { esm: string; cjs: string };
  /** Register the plugway/sdk resolve hook in the thread (needsSdkResolution). Default true. */
  sdkHook?: boolean;
  resourceLimits?: ResourceLimits;
  /** The thread's process.env (permissions.env); absent: a copy of the gateway's. */
  env?: Record<string, string>;
  ringBytes: number;
  memoryMb?: number;
  giveBackGraceMs: number;
  startTimeoutMs: number;
  /** Turns a plugin's thrown error into the error the caller sees. */
  toError(wire: WireError, method: string): Error;
  onMessage(instance: IsolatedInstance, msg: ToMain): void;
  /** The instance died (crash, OOM, exit, ended after a deadline). */
  onDeath(instance: IsolatedInstance, error: PlugwayError, kind: DeathKind): void;
}

export interface IsolatedInstance {
  readonly index: number;
  state: 'starting' | 'ready' | 'dead';
  readonly startMs: number;
  readonly inFlight: number;
  /** Starts it; resolves with the plugin's method names once loaded. */
  start(): Promise<string[]>;
  send(msg: ToWorker): void;
  call(method: string, args: readonly unknown[], deadline: number, signal: AbortSignal | undefined, timeoutMs: number): Promise<unknown>;
  usage(timeoutMs?: number): Promise<InstanceUsage | undefined>;
  /** CPU use since the previous reading, % of one core. */
  cpuPercent(): number;
  /** Ends it without reporting a death. */
  stop(): Promise<void>;
}

interface Pending {
  resolve(v: unknown): void;
  reject(e: Error): void;
  method: string;
  timer?: NodeJS.Timeout;
  onAbort?: () => void;
  signal?: AbortSignal;
}

/** Calls, deadlines and the give-back check of an instance; a subclass starts, speaks to and ends it. */
export abstract class InstanceCalls implements IsolatedInstance {
  readonly index: number;
  state: 'starting' | 'ready' | 'dead' = 'starting';
  startMs = 0;
  protected seq = 0;
  protected readonly pending = new Map<number, Pending>();
  /** Answers awaited outside calls (pings, usage), by message id; called with no message when the instance dies. */
  protected readonly control = new Map<number, (msg?: ToMain) => void>();
  private giveBackCheck = false;
  protected deathError?: PlugwayError;
  protected deathKind?: DeathKind;
  /** It is being ended on purpose (stop, failed start): its exit is no death to report. */
  protected expectedExit = false;

  constructor(
    protected readonly spec: InstanceSpec,
    /** What it is in error codes: PLW_ERR_WORKER_… or PLW_ERR_PROCESS_… */
    private readonly unit: 'worker' | 'process',
  ) {
    this.index = spec.index;
  }

  abstract start(): Promise<string[]>;
  abstract send(msg: ToWorker): void;
  abstract usage(timeoutMs?: number): Promise<InstanceUsage | undefined>;
  abstract cpuPercent(): number;
  abstract stop(): Promise<void>;
  /** Ends it on purpose, failing its in-flight calls with `error`. */
  abstract kill(error: PlugwayError, kind: DeathKind): void;

  get inFlight(): number {
    return this.pending.size;
  }

  protected get pluginId(): string {
    return this.spec.boot.pluginId;
  }

  private load?: { settled: boolean; t0: number; timer?: NodeJS.Timeout; resolve(methods: string[]): void; fail(err: Error): void };

  /**
   * What start() returns: settled by the plugin's ready or load-error (loadAnswered), by failLoad,
   * or by the load timeout once startLoadClock runs it. `end` ends the instance when its start
   * fails (the exit that follows is expected, not a death).
   */
  protected beginLoad(end: () => void): Promise<string[]> {
    const t0 = performance.now();
    return new Promise((resolve, reject) => {
      const load = {
        settled: false,
        t0,
        resolve,
        fail: (err: Error) => {
          if (load.settled) return;
          load.settled = true;
          clearTimeout(load.timer);
          this.expectedExit = true;
          end();
          this.state = 'dead';
          reject(err);
        },
      } as NonNullable<InstanceCalls['load']>;
      this.load = load;
    });
  }

  /** Starts the load timeout (PLW_ERR_PLUGIN_LOAD_TIMEOUT): at once for a process, when its thread runs for a worker. */
  protected startLoadClock(): void {
    const load = this.load;
    if (!load || load.settled) return;
    const { startTimeoutMs } = this.spec;
    load.timer = setTimeout(() => load.fail(new PlugwayError('PLW_ERR_PLUGIN_LOAD_TIMEOUT', { id: this.pluginId, instance: this.index, timeoutMs: startTimeoutMs })), startTimeoutMs);
  }

  /** Whether the start is under way: a death now fails the start, not a running instance. */
  protected get loading(): boolean {
    return this.load !== undefined && !this.load.settled;
  }

  protected failLoad(err: Error): void {
    this.load?.fail(err);
  }

  /** The plugin's ready (it is loaded: methods) or load-error. */
  protected loadAnswered(msg: Extract<ToMain, { t: 'ready' | 'load-error' }>): void {
    const load = this.load;
    if (!load || load.settled) return;
    if (msg.t === 'load-error') {
      load.fail(Object.assign(new Error(msg.e.message), { code: msg.e.code, stack: msg.e.stack }));
      return;
    }
    load.settled = true;
    clearTimeout(load.timer);
    this.state = 'ready';
    this.startMs = performance.now() - load.t0;
    load.resolve(msg.methods);
  }

  /** A call was just sent (the worker starts polling for its answer). */
  protected sent(): void {}

  call(method: string, args: readonly unknown[], deadline: number, signal: AbortSignal | undefined, timeoutMs: number): Promise<unknown> {
    if (this.state === 'dead') {
      return Promise.reject(
        this.deathError ?? new PlugwayError(this.unit === 'worker' ? 'PLW_ERR_WORKER_CRASHED' : 'PLW_ERR_PROCESS_CRASHED', { id: this.pluginId, instance: this.index, reason: 'not running' }),
      );
    }
    const id = ++this.seq;
    return new Promise((resolve, reject) => {
      const p: Pending = { resolve, reject, method };
      this.pending.set(id, p);
      p.timer = setTimeout(() => this.expire(id, timeoutMs), Math.max(0, deadline - Date.now()));
      if (signal) {
        p.signal = signal;
        p.onAbort = () => {
          const q = this.pending.get(id);
          if (!q) return;
          this.settle(id, q);
          this.send({ t: 'cancel', id });
          q.reject(new PlugwayError('PLW_ERR_CALL_ABORTED', { id: this.pluginId, method, reason: String((signal.reason as Error)?.message ?? signal.reason ?? 'aborted') }));
        };
        signal.addEventListener('abort', p.onAbort, { once: true });
      }
      this.send({ t: 'call', id, m: method, a: args as unknown[] });
      this.sent();
    });
  }

  /**
   * A message from the instance that is not about its start: an answer to a call (ignored when the
   * call was answered already: deadline or abort), to a control message (pong, usage), or one for
   * the runtime (logs, host calls).
   */
  protected received(msg: ToMain): void {
    switch (msg.t) {
      case 'res': {
        const p = this.pending.get(msg.id);
        if (!p) return;
        this.settle(msg.id, p);
        if (msg.ok) p.resolve(msg.v);
        else p.reject(this.spec.toError(msg.e!, p.method));
        return;
      }
      case 'pong':
      case 'usage':
        this.control.get(msg.id)?.(msg);
        this.control.delete(msg.id);
        return;
      default:
        this.spec.onMessage(this, msg);
    }
  }

  private settle(id: number, p: Pending): void {
    this.pending.delete(id);
    if (p.timer) clearTimeout(p.timer);
    if (p.onAbort) p.signal?.removeEventListener('abort', p.onAbort);
  }

  private expire(id: number, timeoutMs: number): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.settle(id, p);
    this.send({ t: 'cancel', id });
    p.reject(new PlugwayError('PLW_ERR_PLUGIN_TIMEOUT', { id: this.pluginId, method: p.method, timeoutMs }));
    this.checkGiveBack();
  }

  /** After a deadline: an instance that does not answer a ping soon is stuck in the call (a sync loop): end it. */
  private checkGiveBack(): void {
    if (this.giveBackCheck || this.state === 'dead') return;
    this.giveBackCheck = true;
    const id = ++this.seq;
    const timer = setTimeout(() => {
      this.control.delete(id);
      this.giveBackCheck = false;
      if (this.state === 'dead') return;
      this.kill(new PlugwayError(this.unit === 'worker' ? 'PLW_ERR_WORKER_TERMINATED' : 'PLW_ERR_PROCESS_TERMINATED', { id: this.pluginId, instance: this.index }), 'terminated');
    }, this.spec.giveBackGraceMs);
    this.control.set(id, () => {
      clearTimeout(timer);
      this.giveBackCheck = false;
    });
    this.send({ t: 'ping', id });
  }

  /** Fails every call in flight with `error` and ends every awaited control answer. */
  protected failAll(error: Error): void {
    for (const [id, p] of this.pending) {
      this.settle(id, p);
      p.reject(error);
    }
    for (const [, c] of this.control) c();
    this.control.clear();
  }
}
