// One worker thread on the main thread's side: starts it, sends calls, enforces deadlines (ending
// the thread when a plugin does not give it back), and turns its death into a coded error.

import { MessageChannel, Worker } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import { getHeapStatistics } from 'node:v8';
import { PlugwayError } from '../../errors.js';
import { InstanceCalls, type DeathKind, type InstanceSpec, type InstanceUsage } from '../isolated-instance.js';
import { Ring, createRingBuffers } from './channel.js';
import { RingPump } from './ring-pump.js';
import { decodeFrame, encodeFrame, type Wire } from './frame.js';
import { bootstrapSource } from './protocol.js';
import type { ToMain, ToWorker, WorkerBoot } from './protocol.js';

export class WorkerInstance extends InstanceCalls {
  methods: string[] = [];
  private worker!: Worker;
  private toWorker!: Ring;
  private toMain!: Ring;
  private pump: RingPump | undefined;
  private bulk!: MessagePort;
  private prevElu: ReturnType<Worker['performance']['eventLoopUtilization']> | undefined;

  constructor(spec: InstanceSpec) {
    super(spec, 'worker');
  }

  get thread(): Worker {
    return this.worker;
  }

  /** Starts the thread and resolves once the plugin is loaded (with its method names). */
  start(): Promise<string[]> {
    const rings = createRingBuffers(this.spec.ringBytes);
    this.toWorker = new Ring(rings.toWorker);
    this.toMain = new Ring(rings.toMain);
    const { port1, port2 } = new MessageChannel();
    this.bulk = port1;
    const boot: WorkerBoot = { ...this.spec.boot, rings, bulkPort: port2, instance: this.index };
    const done = this.beginLoad(() => void this.worker.terminate());
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
    // Counted from the moment the thread runs: spawning many threads at once is not the plugin's doing.
    this.worker.once('online', () => this.startLoadClock());
    this.worker.on('message', (wire: Wire) => this.handle(wire));
    this.worker.on('error', (err: Error & { code?: string }) => {
      if (this.loading) return this.failLoad(err);
      this.die(err);
    });
    this.worker.on('exit', (code) => {
      if (this.loading) return this.failLoad(new Error(`worker exited with code ${code} while starting`));
      this.die(undefined, code);
    });
    this.pump = new RingPump(
      this.toMain,
      (wire) => this.handle(wire),
      () => this.state === 'dead',
      { pollUs: this.spec.boot.pollUs },
    );
    void this.pump.run();
    return done;
  }

  private handle(wire: Wire): void {
    const msg = decodeFrame<ToMain>(wire);
    switch (msg.t) {
      case 'ready':
        this.methods = msg.methods;
        this.loadAnswered(msg);
        return;
      case 'load-error':
        this.loadAnswered(msg);
        return;
      case 'oom':
        this.kill(
          new PlugwayError('PLW_ERR_WORKER_OUT_OF_MEMORY', {
            id: this.pluginId,
            instance: this.index,
            memoryMb: Math.round(msg.limit / 1048576),
            limit: 'external',
            externalMb: Math.round(msg.external / 1048576),
          }),
          'oom',
        );
        return;
      default:
        this.received(msg);
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

  protected override sent(): void {
    this.pump?.kick();
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
        resolve(msg?.t === 'usage' ? msg : undefined);
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
    this.failAll(new PlugwayError('PLW_ERR_CALL_ABORTED', { id: this.pluginId, method: 'call', reason: 'the runtime was disposed' }));
    this.toMain.wake();
    await this.worker.terminate();
  }

  private die(err?: Error & { code?: string }, exitCode?: number): void {
    if (this.state === 'dead') {
      return;
    }
    this.state = 'dead';
    this.toMain.wake();
    const id = this.pluginId;
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
}

/** The heap limit an OOM message names: resources.memory, else V8's default heap limit (what the thread got). */
export function memoryLimitMb(memoryMb: number | undefined): number {
  return memoryMb ?? Math.round(getHeapStatistics().heap_size_limit / 1048576);
}
