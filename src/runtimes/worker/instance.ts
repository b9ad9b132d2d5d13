// One worker thread on the main thread's side: starts it, sends calls, enforces deadlines (ending
// the thread when a plugin does not give it back), and turns its death into a coded error.

import { MessageChannel, Worker } from 'node:worker_threads';
import type { MessagePort, ResourceLimits } from 'node:worker_threads';
import { getHeapStatistics } from 'node:v8';
import { PlugwayError } from '../../errors.js';
import { Ring, RingPump, createRingBuffers } from './channel.js';
import { decodeFrame, encodeFrame, type Wire } from './frame.js';
import { bootstrapSource } from './protocol.js';
import type { ToMain, ToWorker, WireError, WorkerBoot } from './protocol.js';

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
  /** The thread died (crash, OOM, exit, terminated after a deadline). */
  onDeath(instance: IsolatedInstance, error: PlugwayError, kind: DeathKind): void;
}

export type DeathKind = 'crashed' | 'oom' | 'exited' | 'terminated';

/** Usage figures an instance reports (a process reports its memory as heapUsed; external 0). */
export type InstanceUsage = Extract<ToMain, { t: 'usage' }>;

/**
 * One copy of a plugin that IsolatedRuntime balances over, restarts and ends: a worker thread
 * (WorkerInstance) or a sandboxed child process (process/instance.ts).
 */
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

export class WorkerInstance implements IsolatedInstance {
  readonly index: number;
  state: 'starting' | 'ready' | 'dead' = 'starting';
  methods: string[] = [];
  startMs = 0;
  private worker!: Worker;
  private toWorker!: Ring;
  private toMain!: Ring;
  private pump: RingPump | undefined;
  private bulk!: MessagePort;
  private seq = 0;
  private readonly pending = new Map<number, Pending>();
  private readonly control = new Map<number, (msg: ToMain) => void>();
  private giveBackCheck = false;
  private deathError?: PlugwayError;
  private deathKind?: DeathKind;
  private expectedExit = false;
  private prevElu: ReturnType<Worker['performance']['eventLoopUtilization']> | undefined;

  constructor(private readonly spec: InstanceSpec) {
    this.index = spec.index;
  }

  get inFlight(): number {
    return this.pending.size;
  }

  get thread(): Worker {
    return this.worker;
  }

  /** Starts the thread and resolves once the plugin is loaded (with its method names). */
  start(): Promise<string[]> {
    const t0 = performance.now();
    const rings = createRingBuffers(this.spec.ringBytes);
    this.toWorker = new Ring(rings.toWorker);
    this.toMain = new Ring(rings.toMain);
    const { port1, port2 } = new MessageChannel();
    this.bulk = port1;
    const boot: WorkerBoot = { ...this.spec.boot, rings, bulkPort: port2, instance: this.index };
    this.worker = new Worker(bootstrapSource(this.spec.tsx, this.spec.sdkHook ?? true), {
      eval: true,
      workerData: boot,
      transferList: [port2],
      ...(this.spec.resourceLimits ? { resourceLimits: this.spec.resourceLimits } : {}),
      ...(this.spec.env ? { env: this.spec.env } : {}),
      name: `plugway:${boot.pluginId}#${this.index}`,
      stdout: false,
      stderr: false,
    });
    return new Promise<string[]>((resolve, reject) => {
      let settled = false;
      // Counted from the moment the thread runs: spawning many threads at once is not the plugin's doing.
      let timer: NodeJS.Timeout | undefined;
      this.worker.once('online', () => {
        if (settled) return;
        timer = setTimeout(
          () => fail(new PlugwayError('PLW_ERR_PLUGIN_LOAD_TIMEOUT', { id: boot.pluginId, instance: this.index, timeoutMs: this.spec.startTimeoutMs })),
          this.spec.startTimeoutMs,
        );
      });
      const fail = (err: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.expectedExit = true;
        void this.worker.terminate();
        this.state = 'dead';
        reject(err);
      };
      this.onReady = (msg) => {
        if (settled) return;
        if (msg.t === 'ready') {
          settled = true;
          clearTimeout(timer);
          this.methods = msg.methods;
          this.state = 'ready';
          this.startMs = performance.now() - t0;
          resolve(msg.methods);
        } else {
          fail(Object.assign(new Error(msg.e.message), { code: msg.e.code, stack: msg.e.stack }));
        }
      };
      this.worker.on('message', (wire: Wire) => this.handle(wire));
      this.worker.on('error', (err: Error & { code?: string }) => {
        if (!settled) return fail(err);
        this.die(err);
      });
      this.worker.on('exit', (code) => {
        if (!settled) return fail(new Error(`worker exited with code ${code} while starting`));
        this.die(undefined, code);
      });
      this.pump = new RingPump(this.toMain, (wire) => this.handle(wire), () => this.state === 'dead', { pollUs: this.spec.boot.pollUs });
      void this.pump.run();
    });
  }

  private onReady?: (msg: Extract<ToMain, { t: 'ready' | 'load-error' }>) => void;

  private handle(wire: Wire): void {
    const msg = decodeFrame<ToMain>(wire);
    switch (msg.t) {
      case 'res': {
        const p = this.pending.get(msg.id);
        if (!p) return; // answered already (deadline or abort)
        this.settle(msg.id, p);
        if (msg.ok) p.resolve(msg.v);
        else p.reject(this.spec.toError(msg.e!, p.method));
        return;
      }
      case 'ready':
      case 'load-error':
        this.onReady?.(msg);
        return;
      case 'oom':
        this.kill(
          new PlugwayError('PLW_ERR_WORKER_OUT_OF_MEMORY', {
            id: this.spec.boot.pluginId,
            instance: this.index,
            memoryMb: Math.round(msg.limit / 1048576),
            limit: 'external',
            externalMb: Math.round(msg.external / 1048576),
          }),
          'oom',
        );
        return;
      case 'pong':
      case 'usage':
        this.control.get(msg.id)?.(msg);
        this.control.delete(msg.id);
        return;
      default:
        this.spec.onMessage(this, msg);
    }
  }

  send(msg: ToWorker): void {
    if (this.state === 'dead') return;
    const wire = encodeFrame(msg);
    if (!this.toWorker.write(wire)) {
      this.bulk.postMessage(wire);
      // A thread blocked in a synchronous bridge call looks at the port when the ring moves.
      this.toWorker.wake();
    }
  }

  call(method: string, args: readonly unknown[], deadline: number, signal: AbortSignal | undefined, timeoutMs: number): Promise<unknown> {
    if (this.state === 'dead') return Promise.reject(this.deathError ?? new PlugwayError('PLW_ERR_WORKER_CRASHED', { id: this.spec.boot.pluginId, instance: this.index, reason: 'not running' }));
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
          q.reject(new PlugwayError('PLW_ERR_CALL_ABORTED', { id: this.spec.boot.pluginId, method, reason: String((signal.reason as Error)?.message ?? signal.reason ?? 'aborted') }));
        };
        signal.addEventListener('abort', p.onAbort, { once: true });
      }
      this.send({ t: 'call', id, m: method, a: args as unknown[] });
      this.pump?.kick();
    });
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
    p.reject(new PlugwayError('PLW_ERR_PLUGIN_TIMEOUT', { id: this.spec.boot.pluginId, method: p.method, timeoutMs }));
    this.checkGiveBack();
  }

  /** After a deadline: if the thread does not answer a ping soon, it is stuck (a sync loop): end it. */
  private checkGiveBack(): void {
    if (this.giveBackCheck || this.state === 'dead') return;
    this.giveBackCheck = true;
    const id = ++this.seq;
    const timer = setTimeout(() => {
      this.control.delete(id);
      this.giveBackCheck = false;
      if (this.state === 'dead') return;
      this.kill(new PlugwayError('PLW_ERR_WORKER_TERMINATED', { id: this.spec.boot.pluginId, instance: this.index }), 'terminated');
    }, this.spec.giveBackGraceMs);
    this.control.set(id, () => {
      clearTimeout(timer);
      this.giveBackCheck = false;
    });
    this.send({ t: 'ping', id });
  }

  /** Asks the thread for its heap figures; undefined if it does not answer in time (busy). */
  usage(timeoutMs = 200): Promise<InstanceUsage | undefined> {
    if (this.state !== 'ready') return Promise.resolve(undefined);
    const id = ++this.seq;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.control.delete(id);
        resolve(undefined);
      }, timeoutMs);
      this.control.set(id, (msg) => {
        clearTimeout(timer);
        resolve(msg.t === 'usage' ? msg : undefined);
      });
      this.send({ t: 'usage', id });
    });
  }

  cpuPercent(): number {
    try {
      const now = this.worker.performance.eventLoopUtilization();
      const cpu = (this.prevElu ? this.worker.performance.eventLoopUtilization(now, this.prevElu) : now).utilization * 100;
      this.prevElu = now;
      return cpu;
    } catch {
      return 0; // the thread just ended
    }
  }

  eventLoopUtilization(): number | undefined {
    try {
      return this.state === 'ready' ? this.worker.performance.eventLoopUtilization().utilization : undefined;
    } catch {
      return undefined;
    }
  }

  /** Ends the thread on purpose, failing its in-flight calls with `error`. */
  kill(error: PlugwayError, kind: DeathKind): void {
    if (this.state === 'dead') return;
    this.deathError = error;
    this.deathKind = kind;
    void this.worker.terminate();
    this.die();
  }

  /** Ends the thread without reporting a death (dispose). */
  async stop(): Promise<void> {
    if (this.state === 'dead') return;
    this.expectedExit = true;
    this.state = 'dead';
    this.failAll(new PlugwayError('PLW_ERR_CALL_ABORTED', { id: this.spec.boot.pluginId, method: 'call', reason: 'the runtime was disposed' }));
    this.toMain.wake();
    await this.worker.terminate();
  }

  private die(err?: Error & { code?: string }, exitCode?: number): void {
    if (this.state === 'dead') {
      return;
    }
    this.state = 'dead';
    this.toMain.wake();
    const id = this.spec.boot.pluginId;
    if (!this.deathError) {
      if (err?.code === 'ERR_WORKER_OUT_OF_MEMORY') {
        this.deathKind = 'oom';
        this.deathError = new PlugwayError('PLW_ERR_WORKER_OUT_OF_MEMORY', { id, instance: this.index, memoryMb: memoryLimitMb(this.spec.memoryMb) }, { cause: err });
      } else if (err) {
        this.deathKind = 'crashed';
        this.deathError = new PlugwayError('PLW_ERR_WORKER_CRASHED', { id, instance: this.index, reason: err.message }, { cause: err });
      } else {
        this.deathKind = 'exited';
        this.deathError = new PlugwayError('PLW_ERR_WORKER_EXITED', { id, instance: this.index, exitCode: exitCode ?? 'unknown' });
      }
    }
    if (!this.expectedExit) void this.worker.terminate();
    this.failAll(this.deathError);
    if (!this.expectedExit) this.spec.onDeath(this, this.deathError, this.deathKind!);
  }

  private failAll(error: Error): void {
    for (const [id, p] of this.pending) {
      this.settle(id, p);
      p.reject(error);
    }
    for (const [, c] of this.control) c({ t: 'pong', id: -1 });
    this.control.clear();
  }
}

/** The heap limit an OOM message names: resources.memory, else V8's default heap limit (what the thread got). */
export function memoryLimitMb(memoryMb: number | undefined): number {
  return memoryMb ?? Math.round(getHeapStatistics().heap_size_limit / 1048576);
}
