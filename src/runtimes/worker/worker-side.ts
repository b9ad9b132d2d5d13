// Inside a plugin worker: reads calls from the ring (or the bulk port), runs them, answers, and
// gives the plugin code a bridge back to the main thread (logs, storage, events, flags, HTTP).

import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Ring } from './channel.js';
import { RingPump } from './ring-pump.js';
import { decodeFrame, encodeFrame, frameBytes, segBytes, textStrings, type Wire } from './frame.js';
import { toWireError } from './protocol.js';
import type { BridgeOp, LogLevel, ToMain, ToWorker, WorkerBoot } from './protocol.js';
import type { PluginLogger } from '../../sdk/context.js';

export interface ServedPlugin {
  methods: string[];
  call(method: string, args: unknown[]): unknown;
}

/** A plugin thread polls its ring in slices of this many µs per event-loop turn (PumpOptions.sliceUs). */
const POLL_SLICE_US = 20;
const LEVELS: Record<LogLevel, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 };

export class WorkerSide {
  readonly boot: WorkerBoot & { logLevel?: string };
  readonly flags: Record<string, boolean>;
  readonly stopController = new AbortController();
  private readonly inRing: Ring;
  private readonly outRing: Ring;
  private plugin?: ServedPlugin;
  private bridgeSeq = 0;
  private readonly bridgePending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  private readonly subscriptions = new Map<number, (event: unknown) => void>();
  private subSeq = 0;
  private deferred: ToWorker[] = [];
  private readonly minLevel: number;
  private readonly externalLimit: number;
  private overExternal = false;
  private readonly textAsBytes: boolean;

  /** textAsBytes: long strings in calls arrive as TextBytes (the wasm thread passes bodies on as bytes). */
  constructor(opts: { textAsBytes?: boolean } = {}) {
    this.boot = workerData as WorkerBoot & { logLevel?: string };
    this.flags = { ...this.boot.flags };
    this.textAsBytes = opts.textAsBytes ?? false;
    this.inRing = new Ring(this.boot.rings.toWorker, this.textAsBytes);
    this.outRing = new Ring(this.boot.rings.toMain);
    this.minLevel = LEVELS[(this.boot.logLevel as LogLevel) ?? 'info'] ?? 30;
    this.externalLimit = this.boot.externalLimitBytes ?? 0;
  }

  /**
   * resourceLimits bound the V8 heap only: Buffers and ArrayBuffers live outside it. Their total
   * (V8's external memory) is checked after every call and every 100 ms; past the cap, after one
   * full GC (garbage buffers count until collected), the main thread is told and ends this
   * instance with PLW_ERR_WORKER_OUT_OF_MEMORY. Returns true once over.
   */
  checkExternal(): boolean {
    if (!this.externalLimit || this.overExternal) return this.overExternal;
    const external = this.externalOver();
    if (external === undefined) return false;
    this.overExternal = true;
    this.send({ t: 'oom', external, limit: this.externalLimit });
    return true;
  }

  /** The external memory in bytes if it is above the cap (after a full GC), else undefined. */
  private externalOver(): number | undefined {
    if (!this.externalLimit || getHeapStatistics().external_memory <= this.externalLimit) return undefined;
    fullGc();
    const external = getHeapStatistics().external_memory;
    return external > this.externalLimit ? external : undefined;
  }

  /** A message from the main thread; TextBytes stay only in a call's arguments (host-call results and events are strings). */
  private decode(wire: Wire): ToWorker {
    const msg = decodeFrame<ToWorker>(wire);
    return this.textAsBytes && typeof wire !== 'string' && msg.t !== 'call' ? textStrings(msg) : msg;
  }

  send(msg: ToMain): void {
    const wire = encodeFrame(msg);
    if (!this.outRing.write(wire)) parentPort!.postMessage(wire);
  }

  /** Starts serving: loads the plugin, reports ready (or the load error), then answers calls. */
  async serve(load: () => Promise<ServedPlugin>): Promise<void> {
    this.boot.bulkPort.on('message', (wire: Wire) => this.onMessage(this.decode(wire)));
    // The port listener keeps this thread alive; the ring pump alone would not.
    parentPort!.on('message', () => undefined);
    void new RingPump(
      this.inRing,
      (wire) => this.onMessage(this.decode(wire)),
      () => false,
      { pollUs: this.boot.pollUs, sliceUs: POLL_SLICE_US },
    ).run();
    try {
      this.plugin = await load();
      const over = this.externalOver();
      if (over !== undefined) {
        const params = { id: this.boot.pluginId, instance: this.boot.instance, memoryMb: Math.round(this.externalLimit / 1048576), limit: 'external', externalMb: Math.round(over / 1048576) };
        throw Object.assign(new Error(`Buffers and ArrayBuffers reached ${params.externalMb} MB while loading`), { code: 'PLW_ERR_WORKER_OUT_OF_MEMORY', params });
      }
      if (this.externalLimit) setInterval(() => this.checkExternal(), 100).unref();
      this.send({ t: 'ready', methods: this.plugin.methods });
    } catch (err) {
      this.send({ t: 'load-error', e: toWireError(err) });
    }
  }

  private onMessage(msg: ToWorker): void {
    switch (msg.t) {
      case 'call':
        void this.runCall(msg.id, msg.m, msg.a);
        break;
      case 'br': {
        const p = this.bridgePending.get(msg.id);
        if (!p) return;
        this.bridgePending.delete(msg.id);
        if (msg.ok) p.resolve(msg.v);
        else p.reject(Object.assign(new Error(msg.e?.message ?? 'bridge call failed'), { code: msg.e?.code, params: msg.e?.params }));
        break;
      }
      case 'ping':
        this.send({ t: 'pong', id: msg.id });
        break;
      case 'usage': {
        const h = getHeapStatistics();
        this.send({ t: 'usage', id: msg.id, heapUsed: h.used_heap_size, heapTotal: h.total_heap_size, heapLimit: h.heap_size_limit, external: h.external_memory });
        break;
      }
      case 'flags':
        Object.assign(this.flags, msg.v);
        break;
      case 'event':
        this.subscriptions.get(msg.sub)?.(msg.v);
        break;
      case 'abort':
        this.stopController.abort(new Error('plugin is stopping'));
        break;
      case 'cancel':
        // Calls get no per-call signal in the SDK contract: the main thread has already answered.
        break;
    }
  }

  private async runCall(id: number, method: string, args: unknown[]): Promise<void> {
    let wire: Wire;
    try {
      if (!this.plugin) throw new Error('plugin is not loaded');
      if (method === 'stop') this.stopController.abort(new Error('plugin is stopping'));
      const v = await this.plugin.call(method, args);
      wire = encodeFrame({ t: 'res', id, ok: true, v: v === undefined ? null : v });
      const limit = this.boot.maxResponseBytes;
      if (frameChars(wire) > limit / 3 && frameBytes(wire) > limit + 64) {
        const size = Buffer.byteLength(JSON.stringify(v ?? null));
        if (size > limit) {
          wire = encodeFrame({
            t: 'res',
            id,
            ok: false,
            e: { message: `response of ${size} bytes is above the limit`, code: 'PLW_ERR_RESPONSE_TOO_LARGE', params: { id: this.boot.pluginId, method, size, limit } },
          });
        }
      }
    } catch (err) {
      wire = encodeFrame({ t: 'res', id, ok: false, e: toWireError(err) });
    }
    // Over its memory cap: no answer; the main thread fails the call with the instance.
    if (this.externalLimit && this.checkExternal()) return;
    if (!this.outRing.write(wire)) parentPort!.postMessage(wire);
  }

  bridge(op: BridgeOp, args: unknown[]): Promise<unknown> {
    const id = ++this.bridgeSeq;
    return new Promise((resolve, reject) => {
      this.bridgePending.set(id, { resolve, reject });
      this.send({ t: 'br', id, op, a: args });
    });
  }

  /**
   * A bridge call that blocks this thread until the main thread answers (for synchronous wasm
   * host functions). Other messages that arrive meanwhile are kept and handled afterwards.
   */
  bridgeSync(op: BridgeOp, args: unknown[]): unknown {
    const id = ++this.bridgeSeq;
    this.send({ t: 'br', id, op, a: args });
    for (;;) {
      const seen = this.inRing.seq();
      const messages: ToWorker[] = [];
      for (let m = this.inRing.read(); m !== undefined; m = this.inRing.read()) messages.push(this.decode(m));
      for (let p = receiveMessageOnPort(this.boot.bulkPort); p; p = receiveMessageOnPort(this.boot.bulkPort)) messages.push(this.decode(p.message as Wire));
      let answer: Extract<ToWorker, { t: 'br' }> | undefined;
      for (const msg of messages) {
        if (msg.t === 'br' && msg.id === id) answer = msg;
        else this.deferred.push(msg);
      }
      if (answer) {
        if (this.deferred.length) setImmediate(() => this.drainDeferred());
        if (!answer.ok) throw Object.assign(new Error(answer.e?.message ?? 'bridge call failed'), { code: answer.e?.code, params: answer.e?.params });
        return answer.v;
      }
      // The main thread ends this worker if it stays here past the call's deadline.
      this.inRing.waitSync(seen, 100);
    }
  }

  private drainDeferred(): void {
    const msgs = this.deferred;
    this.deferred = [];
    for (const m of msgs) this.onMessage(m);
  }

  subscribe(type: string, handler: (event: unknown) => void): () => void {
    const sub = ++this.subSeq;
    this.subscriptions.set(sub, handler);
    void this.bridge('events.on', [type, sub]).catch(() => undefined);
    return () => {
      this.subscriptions.delete(sub);
      void this.bridge('events.off', [sub]).catch(() => undefined);
    };
  }

  logger(bindings: Record<string, unknown> = {}): PluginLogger {
    const at = (l: LogLevel) => (a: unknown, b?: string) => {
      if (LEVELS[l] < this.minLevel) return;
      if (typeof a === 'string') this.send({ t: 'log', l, o: bindings, s: a });
      else this.send({ t: 'log', l, o: { ...bindings, ...plainFields(a) }, ...(b === undefined ? {} : { s: b }) });
    };
    return {
      trace: at('trace'),
      debug: at('debug'),
      info: at('info'),
      warn: at('warn'),
      error: at('error'),
      child: (b: Record<string, unknown>) => this.logger({ ...bindings, ...b }),
    } as PluginLogger;
  }
}

/** UTF-16 units (and bytes) in a frame: a cheap lower bound of its UTF-8 size. */
function frameChars(wire: Wire): number {
  if (typeof wire === 'string') return wire.length;
  let n = wire.text.length;
  for (const s of wire.segs ?? []) n += typeof s === 'string' ? s.length : segBytes(s).byteLength;
  return n;
}

let gc: (() => void) | null | undefined;

/** A full collection, if V8 lets this thread have one (`gc` exposed to a fresh context). */
function fullGc(): void {
  if (gc === undefined) {
    try {
      setFlagsFromString('--expose-gc');
      gc = runInNewContext('gc') as () => void;
    } catch {
      gc = null;
    }
  }
  gc?.();
}

/** Log fields that survive JSON: errors become {type, message, stack}. */
function plainFields(obj: unknown): Record<string, unknown> {
  if (obj instanceof Error) return { err: { type: obj.name, message: obj.message, stack: obj.stack } };
  if (!obj || typeof obj !== 'object') return { value: obj };
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) out[k] = v instanceof Error ? { type: v.name, message: v.message, stack: v.stack } : v;
  return out;
}
