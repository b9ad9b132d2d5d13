// The in-process runtime: plugin code runs in the host's own thread. For built-in and trusted
// plugins only — it contains throws, rejections, timeouts and async errors, not a sync infinite loop.

import { pathToFileURL } from 'node:url';
import { PlugwayError, reasonOf } from '../../errors.js';
import type { PluginContext } from '../../sdk/context.js';
import type { PluginMetrics } from '../../sdk/types.js';
import type { CallOptions, PluginRuntime, RuntimeFactory, RuntimeInit, RuntimeStats } from '../types.js';
import { installAsyncErrorHandler, pluginScope, registerPluginFiles, type FileScopeHandle, type PluginScope } from './async-errors.js';
import { addDeadline, removeDeadline, type Deadline } from '../../resilience/deadlines.js';
import { pluginExportOf } from '../module-interop.js';
import { ensureSdkResolutionFor } from '../sdk-resolve.js';
import { ensureTsx } from '../tsx.js';
import { ProbeTally } from '../probe-tally.js';

const EMPTY: readonly unknown[] = Object.freeze([]);
/** How many times each entry file was imported: later imports get `?v=<n>` so ESM re-evaluates it. */
const importCounts = new Map<string, number>();

/** Calls fn with the payload spread and the context last, without allocating for short payloads. */
function invoke(fn: Function, self: object, payload: readonly unknown[], ctx: PluginContext): unknown {
  switch (payload.length) {
    case 0:
      return fn.call(self, ctx);
    case 1:
      return fn.call(self, payload[0], ctx);
    case 2:
      return fn.call(self, payload[0], payload[1], ctx);
    case 3:
      return fn.call(self, payload[0], payload[1], payload[2], ctx);
    default:
      return fn.apply(self, [...payload, ctx]);
  }
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return v !== null && (typeof v === 'object' || typeof v === 'function') && typeof (v as PromiseLike<unknown>).then === 'function';
}

class InProcessRuntime implements PluginRuntime {
  readonly type = 'inprocess' as const;
  private plugin: Record<string, unknown> | undefined;
  private readonly id: string;
  private readonly scope: PluginScope;
  /** False: calls run without the AsyncLocalStorage scope (runtimes.async_context). */
  private readonly scoped: boolean;
  private readonly files: FileScopeHandle | undefined;
  private readonly allowed: ReadonlySet<string>;
  /** Only the timeouts: calls are counted and timed by the host (host/traffic.ts). */
  private timeouts = 0;
  private readonly probes = new ProbeTally();

  constructor(private readonly init: RuntimeInit) {
    this.id = init.manifest.id;
    this.allowed = new Set(init.manifest.actions);
    this.scope = { pluginKey: `${init.manifest.id}@${init.manifest.version}`, onAsyncError: (err) => init.onAsyncError(err) };
    this.scoped = init.asyncContext === true;
    this.files = init.entryPath && init.pluginDir ? registerPluginFiles(init.pluginDir, this.scope) : undefined;
    installAsyncErrorHandler({ logger: init.logger });
  }

  async load(): Promise<void> {
    const { init } = this;
    let exported: unknown = init.instance;
    if (exported === undefined) {
      const entry = init.entryPath;
      if (!entry) throw new PlugwayError('PLW_ERR_ENTRY_NOT_FOUND', { id: this.id, entry: '(none)', file: '(manifest)' });
      if (/\.[mc]?tsx?$/.test(entry)) await ensureTsx();
      await ensureSdkResolutionFor(entry);
      const n = (importCounts.get(entry) ?? 0) + 1;
      importCounts.set(entry, n);
      const url = pathToFileURL(entry).href + (n > 1 ? `?v=${n}` : '');
      let mod: Record<string, unknown>;
      this.files?.loaded(url);
      try {
        mod = await this.inScope(() => import(url));
      } catch (err) {
        throw new PlugwayError('PLW_ERR_PLUGIN_IMPORT_FAILED', { id: this.id, entry, reason: reasonOf(err) }, { cause: err });
      }
      exported = pluginExportOf(mod);
      if (exported === undefined) {
        throw new PlugwayError('PLW_ERR_ENTRY_INVALID', { id: this.id, entry, reason: 'no default export (export default a plugin object or a factory)' });
      }
    }
    if (typeof exported === 'function') {
      const factory = exported as (config: unknown) => unknown;
      try {
        exported = await this.inScope(() => factory(init.config));
      } catch (err) {
        throw new PlugwayError('PLW_ERR_PLUGIN_IMPORT_FAILED', { id: this.id, entry: init.entryPath ?? '(factory)', reason: `factory threw: ${reasonOf(err)}` }, { cause: err });
      }
    }
    if (exported === null || typeof exported !== 'object') {
      throw new PlugwayError('PLW_ERR_ENTRY_INVALID', {
        id: this.id,
        entry: init.entryPath ?? '(given in code)',
        reason: `expected an object or a factory returning one, got ${exported === null ? 'null' : typeof exported}`,
      });
    }
    this.plugin = exported as Record<string, unknown>;
  }

  /** Runs fn in the plugin's async scope (unless runtimes.async_context is off). Calls use run() with arguments, without a closure. */
  private inScope<T>(fn: () => T): T {
    return this.scoped ? pluginScope.run(this.scope, fn) : fn();
  }

  implements(method: string): boolean {
    return typeof this.plugin?.[method] === 'function';
  }

  call<T = unknown>(method: string, payload: readonly unknown[] = EMPTY, options?: CallOptions): Promise<T> {
    let r: T | Promise<T>;
    try {
      r = this.invoke<T>(method, payload, options);
    } catch (err) {
      r = Promise.reject(err);
    }
    const p = r instanceof Promise ? r : Promise.resolve(r);
    return options?.probe ? this.probes.track(p) : p;
  }

  /** A synchronous answer stays synchronous (no promise, no deadline); a promise gets the deadline. */
  invoke<T = unknown>(method: string, payload: readonly unknown[] = EMPTY, options?: CallOptions): T | Promise<T> {
    const plugin = this.plugin;
    const fn = plugin?.[method];
    if (typeof fn !== 'function') throw new PlugwayError('PLW_ERR_METHOD_NOT_IMPLEMENTED', { id: this.id, method });
    if (method === 'execute' && !this.allowed.has(payload[0] as string)) {
      throw new PlugwayError('PLW_ERR_ACTION_NOT_ALLOWED', { id: this.id, action: String(payload[0]), allowed: [...this.allowed].join(', ') || 'none' });
    }
    const signal = options?.signal;
    if (signal?.aborted) throw this.aborted(method, signal);
    let ctx = this.init.context;
    // A per-call signal reaches the plugin through ctx.signal; built only when one is given.
    if (signal) ctx = Object.create(ctx, { signal: { value: AbortSignal.any([ctx.signal, signal]) } }) as PluginContext;
    let result: unknown;
    try {
      result = this.scoped ? pluginScope.run(this.scope, invoke, fn, plugin!, payload, ctx) : invoke(fn, plugin!, payload, ctx);
    } catch (err) {
      throw this.threw(method, err);
    }
    if (!isThenable(result)) return result as T;
    // The caller times the call out itself (the gateway's dispatcher): the plugin's own promise, as it is.
    if (options?.callerDeadline && !signal && result instanceof Promise) return result as Promise<T>;
    return this.settle(method, result as PromiseLike<T>, options);
  }

  /** The async path: a shared deadline (no timer per call), an abort listener only when there is a signal. */
  private settle<T>(method: string, result: PromiseLike<T>, options?: CallOptions): Promise<T> {
    const timeoutMs = options?.deadline !== undefined ? Math.max(0, options.deadline - Date.now()) : this.init.defaultTimeoutMs;
    // Callbacks are inline and anonymous on purpose: a named per-call closure (a class-field arrow)
    // costs a defineProperty('name') per call under esbuild's keepNames (tsx), ~1.5 µs here.
    return new Promise<T>((resolve, reject) => {
      const call = new PendingCall<T>(this, method, timeoutMs, resolve, reject, options?.signal);
      if (timeoutMs > 0 && Number.isFinite(timeoutMs)) addDeadline(call, timeoutMs);
      result.then(
        (v) => call.end(false, v),
        (err) => call.end(true, this.threw(method, err)),
      );
    });
  }

  timeoutError(method: string, timeoutMs: number): PlugwayError {
    return this.timedOut(method, timeoutMs);
  }

  thrownError(method: string, err: unknown): PlugwayError {
    return this.threw(method, err);
  }

  /** @internal called by PendingCall */
  timedOut(method: string, timeoutMs: number): PlugwayError {
    this.timeouts++;
    return new PlugwayError('PLW_ERR_PLUGIN_TIMEOUT', { id: this.id, method, timeoutMs: Math.round(timeoutMs) });
  }

  /** @internal */
  threw(method: string, err: unknown): PlugwayError {
    return new PlugwayError('PLW_ERR_PLUGIN_THREW', { id: this.id, method, reason: reasonOf(err) }, { cause: err });
  }

  /** @internal */
  aborted(method: string, signal: AbortSignal): PlugwayError {
    return new PlugwayError('PLW_ERR_CALL_ABORTED', { id: this.id, method, reason: reasonOf(signal.reason ?? 'aborted') });
  }

  exports(): unknown {
    return this.plugin?.exports;
  }

  stats(): RuntimeStats {
    // Calls are the host's to count (host.runtimeStats merges them in); a probe's timeout is not the plugin's.
    return this.probes.subtract({ calls: 0, errors: 0, timeouts: this.timeouts, inFlight: 0, totalMs: 0, restarts: 0 });
  }

  /** In-process plugins share the host's heap and CPU: nothing can be attributed to one of them. */
  async resourceUsage(): Promise<Partial<PluginMetrics>> {
    return {};
  }

  async dispose(): Promise<void> {
    this.plugin = undefined;
    this.files?.dispose();
  }
}

/** One async call in flight: settles once, by result, deadline or abort, whichever comes first. */
class PendingCall<T> implements Deadline {
  at = 0;
  prev: Deadline | undefined;
  next: Deadline | undefined;
  list: Deadline['list'];
  private done = false;
  private onAbort?: () => void;

  constructor(
    private readonly rt: InProcessRuntime,
    private readonly method: string,
    private readonly timeoutMs: number,
    private readonly resolve: (v: T) => void,
    private readonly reject: (e: unknown) => void,
    private readonly signal: AbortSignal | undefined,
  ) {
    if (signal) {
      this.onAbort = () => this.end(true, this.rt.aborted(this.method, signal));
      signal.addEventListener('abort', this.onAbort, { once: true });
    }
  }

  expire(): void {
    this.list = undefined; // already unlinked by the deadline queue
    this.end(true, this.rt.timedOut(this.method, this.timeoutMs));
  }

  end(failed: boolean, value: unknown): void {
    if (this.done) return;
    this.done = true;
    removeDeadline(this);
    if (this.signal) this.signal.removeEventListener('abort', this.onAbort!);
    if (failed) this.reject(value);
    else this.resolve(value as T);
  }
}

export const createInProcessRuntime: RuntimeFactory = (init) => new InProcessRuntime(init);
