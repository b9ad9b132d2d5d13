// The wasm and process runtimes: a PluginRuntime whose IsolatedRuntime is made in load(), after the
// runtime's own checks (a module capped and compiled, a sandbox found). It also makes the plugin's
// HTTP requests for it, under the runtime's fetch policy (fetch-policy.ts).

import { PlugwayError, reasonOf } from '../errors.js';
import type { PluginMetrics } from '../sdk/types.js';
import { hostFetch, runtimeFetchPolicy, type FetchPolicy, type HostFetchOptions, type HostFetchRequest, type LimitedResponse } from './fetch-policy.js';
import type { IsolatedRuntime, RuntimeTuning } from './isolated-runtime.js';
import type { CallOptions, PluginRuntime, RuntimeInit, RuntimeStats } from './types.js';

export abstract class DeferredIsolatedRuntime implements PluginRuntime {
  abstract readonly type: 'wasm' | 'process';
  protected inner?: IsolatedRuntime;
  /** Aborted on dispose: no download a plugin asked for outlives the runtime. */
  private readonly fetches = new AbortController();

  constructor(
    protected readonly init: RuntimeInit,
    protected readonly tuning: RuntimeTuning,
  ) {}

  abstract load(): Promise<void>;

  /** runtimes.fetch, with the response limit no larger than what the runtime carries back and the timeout no longer than a call. */
  protected get fetchPolicy(): FetchPolicy {
    return runtimeFetchPolicy(this.init.fetchPolicy, this.tuning.maxResponseBytes, this.init.defaultTimeoutMs);
  }

  /** The plugin's HTTP request, made by the host: only to hosts its manifest grants and the operator allows. */
  protected fetchForPlugin(req: HostFetchRequest, opts: Pick<HostFetchOptions, 'notGranted' | 'onRefused'>): Promise<LimitedResponse> {
    return hostFetch(this.init.manifest.id, req, { ...opts, granted: this.init.manifest.permissions.network, policy: this.fetchPolicy, signal: this.fetches.signal });
  }

  private get rt(): IsolatedRuntime {
    if (!this.inner) throw new PlugwayError('PLW_ERR_PLUGIN_NOT_RUNNING', { id: this.init.manifest.id, state: 'unloaded' });
    return this.inner;
  }

  implements(method: string): boolean {
    return this.inner?.implements(method) ?? false;
  }

  call<T = unknown>(method: string, payload?: readonly unknown[], options?: CallOptions): Promise<T> {
    return this.rt.call<T>(method, payload, options);
  }

  exports(): unknown {
    return undefined;
  }

  stats(): RuntimeStats {
    return this.inner?.stats() ?? { calls: 0, errors: 0, timeouts: 0, inFlight: 0, totalMs: 0, restarts: 0 };
  }

  resourceUsage(): Promise<Partial<PluginMetrics>> {
    return this.inner ? this.inner.resourceUsage() : Promise.resolve({});
  }

  async dispose(): Promise<void> {
    this.fetches.abort();
    try {
      await this.inner?.dispose();
    } catch (err) {
      this.init.logger.warn({ err }, `disposing ${this.type} plugin ${this.init.manifest.id}: ${reasonOf(err)}`);
    }
  }
}
