// The one runtime interface every plugin call goes through, whatever the isolation tier:
// call(method, payload, { signal, deadline }). Isolation, timeouts, accounting and errors
// are decided behind it.

import type { Logger } from 'pino';
import type { PluginContext } from '../sdk/context.js';
import type { PluginMetrics, RuntimeType } from '../sdk/types.js';
import type { PluginManifest } from '../manifest/types.js';
import type { UpstreamSnapshot } from './remote/upstream.js';

export type { UpstreamSnapshot };
import type { FetchPolicy } from './fetch-policy.js';

export interface CallOptions {
  /** Aborts the call (the plugin sees it through the signal passed to it where it can). */
  signal?: AbortSignal;
  /** Absolute deadline in epoch ms (Date.now()). Absent: now + the plugin's timeout. */
  deadline?: number;
  /** Set by the host when it picks the instance: the version that serves the call (a canary's or the active one's). */
  servedBy?: string;
  /** A call the host makes for itself (health check, metrics): not a request, left out of stats(). */
  probe?: boolean;
  /**
   * The caller enforces `deadline` itself (the gateway's dispatcher, one shared timer for a request):
   * an in-process runtime then returns the plugin's own promise, without a deadline promise of its
   * own around it. Runtimes that cross a thread or a process keep their deadline (they must stop
   * what overruns it) and ignore this.
   */
  callerDeadline?: boolean;
}

/**
 * A runtime's figures. The host counts and times every call itself, once, in one place (host/traffic.ts):
 * host.runtimeStats(id) gives calls, errors, inFlight and totalMs from there, with the timeouts and
 * restarts only the runtime knows. A runtime may count its own calls too (the worker runtime balances
 * its instances by them); the in-process runtime does not.
 */
export interface RuntimeStats {
  calls: number;
  errors: number;
  timeouts: number;
  inFlight: number;
  /** Sum of call durations in ms (mean = totalMs / calls). */
  totalMs: number;
  lastCallAt?: number;
  /** Restarts of isolated instances (worker). */
  restarts: number;
}

/** Something a runtime reports about itself (crash, restart, OOM, …); the host turns it into an event and a metric. */
export interface RuntimeEvent {
  type: string;
  data: Record<string, unknown>;
}

/** runtimes.poll_window_us's default: a worker round trip of ~16 µs p50 instead of ~46 µs here (docs/runtimes.md). */
export const DEFAULT_POLL_US = 200;

export interface RuntimeInit {
  manifest: PluginManifest;
  /** Absolute path of the plugin's entry (module or .wasm); undefined for programmatic plugins. */
  entryPath?: string;
  /**
   * The folder the plugin's manifest is in. In-process, for a plugin with an entryPath: a stack frame
   * in it attributes an escaped error to this plugin.
   */
  pluginDir?: string;
  /**
   * In-process: run every call in the plugin's AsyncLocalStorage scope, so errors from whatever the
   * call started are attributed to it (host config runtimes.async_context; absent: false). False leaves
   * attribution to the stack.
   */
  asyncContext?: boolean;
  /** A plugin object or factory given in code (registerBuiltin / register); inprocess only. */
  instance?: unknown;
  /** The validated config (defaults applied). */
  config: Record<string, unknown>;
  /**
   * The context built by the host. The in-process runtime hands it to the plugin as is;
   * isolated runtimes rebuild one inside, bridging logger, events, storage and flags to it.
   */
  context: PluginContext;
  logger: Logger;
  /** Timeout used when a call has no deadline (manifest resources.timeout or host default). */
  defaultTimeoutMs: number;
  /** An error escaped the plugin's calls (timers, promises, crashed worker): the host fails the plugin. */
  onAsyncError(err: Error): void;
  onEvent?(event: RuntimeEvent): void;
  /**
   * Largest response (serialized bytes) an isolated runtime hands back; larger ones fail with
   * PLW_ERR_RESPONSE_TOO_LARGE inside the isolate, before crossing to the main thread. The host
   * passes gateway.maxResponseBytes; absent means 10 MiB. Ignored by the in-process runtime.
   */
  maxResponseBytes?: number;
  /**
   * Isolated runtimes: how long each end of a thread's ring polls for the next message before it
   * sleeps, µs (host config runtimes.poll_window_us; absent: DEFAULT_POLL_US). Ignored in-process.
   */
  pollUs?: number;
  /** Process runtime: run under bubblewrap (host config `sandbox`; absent: true). */
  sandbox?: boolean;
  /** Isolated runtimes' HTTP for plugins: the operator's host cap and response limit (runtimes.fetch). */
  fetchPolicy?: FetchPolicy;
}

export interface PluginRuntime {
  readonly type: RuntimeType;
  /** Import or instantiate the plugin's code. Throws a PlugwayError (e.g. PLW_ERR_PLUGIN_IMPORT_FAILED). */
  load(): Promise<void>;
  /** Whether the plugin defines `method` (known after load). */
  implements(method: string): boolean;
  /**
   * Call a plugin method. `payload` is the method's argument list without the context
   * (e.g. ['handleRequest', [req]], ['execute', [action, params]]). Enforces the deadline,
   * refuses actions outside manifest.actions, turns throws into PlugwayErrors (the host counts).
   */
  call<T = unknown>(method: string, payload?: readonly unknown[], options?: CallOptions): Promise<T>;
  /**
   * call() without the promise when the plugin answers synchronously: the value itself, or a
   * promise when the plugin returned one; refusals and throws are thrown (as PlugwayErrors).
   * Same checks and deadline as call(). Optional: runtimes that cross a thread use call().
   */
  invoke?<T = unknown>(method: string, payload?: readonly unknown[], options?: CallOptions): T | Promise<T>;
  /** The error a call of `method` that overran `timeoutMs` fails with, counted as this runtime's timeout (for callers that enforce the deadline: CallOptions.callerDeadline). */
  timeoutError?(method: string, timeoutMs: number): Error;
  /** The error a plugin's own rejection of `method` fails the call with (for callers given the plugin's promise: CallOptions.callerDeadline). */
  thrownError?(method: string, err: unknown): Error;
  /**
   * The runtime reads a request's body itself, as a stream: the gateway hands it the request
   * (PluginRequest.body is node's IncomingMessage) instead of parsing it (remote, protocol http).
   */
  readonly streamsRequestBody?: boolean;
  /** A remote plugin's upstreams, their state and counters (admin API, dashboard, metrics). */
  upstreams?(): UpstreamSnapshot[];
  /** What the plugin exposes to its dependents (in-process only; undefined elsewhere). */
  exports(): unknown;
  stats(): RuntimeStats;
  /** CPU and memory as this runtime can measure them. */
  resourceUsage(): Promise<Partial<PluginMetrics>>;
  /** Release everything (terminate workers, free instances). Idempotent. */
  dispose(): Promise<void>;
}

export type RuntimeFactory = (init: RuntimeInit) => PluginRuntime;
