// The `process` runtime: a plugin in any language as N child processes, each under bubblewrap (own
// mount, network, PID and user namespaces, empty environment) and in its own cgroup (cpu, memory,
// pids). Balancing, deadlines, crash restart with backoff and the context bridge are IsolatedRuntime's.

import { PlugwayError, reasonOf } from '../../errors.js';
import type { PluginMetrics } from '../../sdk/types.js';
import type { CallOptions, PluginRuntime, RuntimeInit, RuntimeStats } from '../types.js';
import { IsolatedRuntime, tuningOf, type RuntimeTuning } from '../isolated-runtime.js';
import { DEFAULT_FETCH_POLICY, egressDenial, fetchWithLimit } from '../fetch-policy.js';
import { launchOf } from './command.js';
import { ProcessInstance, type ProcessSpec } from './instance.js';
import { bwrapPath, DEFAULT_DISK_MB, sandboxProblem } from './sandbox.js';
import { dirname } from 'node:path';
import { grantedEnv } from '../granted-env.js';

export { grantedEnv };

/** resources.memory when the manifest sets none, MB. */
export const DEFAULT_PROCESS_MEMORY_MB = 512;
/** resources.pids when the manifest sets none (threads count too). */
export const DEFAULT_PROCESS_PIDS = 128;
/** RLIMIT_CPU when no cgroup holds the CPU quota: CPU seconds a process may use before it is ended and restarted. */
export const RLIMIT_CPU_BACKSTOP_S = 600;

interface FetchRequest {
  url: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string | null;
}

class ProcessRuntime implements PluginRuntime {
  readonly type = 'process' as const;
  private inner?: IsolatedRuntime;
  private readonly instances: ProcessInstance[] = [];

  constructor(
    private readonly init: RuntimeInit,
    private readonly tuning: RuntimeTuning,
  ) {}

  private event(type: string, data: Record<string, unknown>): void {
    try {
      this.init.onEvent?.({ type: `runtime.${type}`, data: { pluginId: this.init.manifest.id, runtime: 'process', ...data } });
    } catch (err) {
      this.init.logger.error({ err }, `onEvent handler failed for ${type}`);
    }
  }

  async load(): Promise<void> {
    const { manifest, entryPath, logger } = this.init;
    const id = manifest.id;
    const pluginDir = this.init.pluginDir ?? (entryPath ? dirname(entryPath) : undefined);
    if (!pluginDir) throw new PlugwayError('PLW_ERR_ENTRY_INVALID', { id, entry: '(none)', reason: 'a process plugin is loaded from a folder with plugin.yaml' });
    const sandboxed = this.init.sandbox !== false;
    if (sandboxed) {
      const problem = sandboxProblem();
      if (problem) {
        this.event('sandbox_unavailable', { reason: problem });
        throw new PlugwayError('PLW_ERR_SANDBOX_UNAVAILABLE', { id, reason: problem });
      }
    } else {
      logger.warn({ runtime: 'process' }, `Plugin ${id} runs UNSANDBOXED (sandbox: false in plugway.yaml): it can read the files, network and processes this gateway can`);
    }
    const launch = launchOf(manifest, entryPath, pluginDir, sandboxed);
    const env = grantedEnv(manifest.permissions.env);
    const { resources } = manifest;
    const memoryBytes = (resources.memory ?? DEFAULT_PROCESS_MEMORY_MB) * 1048576;
    const proc: ProcessSpec = {
      launch,
      ...(sandboxed
        ? { sandbox: { bwrap: bwrapPath()!, spec: { pluginDir, ...(launch.sdkDir ? { sdkDir: launch.sdkDir } : {}), extraReadOnly: launch.extraReadOnly, env, diskMb: resources.disk ?? DEFAULT_DISK_MB } } }
        : {}),
      env,
      pluginDir,
      limits: { memoryBytes, pids: resources.pids ?? DEFAULT_PROCESS_PIDS, ...(resources.cpu ? { cpu: resources.cpu } : {}) },
      rlimitCpuS: RLIMIT_CPU_BACKSTOP_S,
      rlimitDataKb: Math.round(memoryBytes / 1024),
      // a response is JSON: escaping and base64 make it larger than the body it carries
      maxLineBytes: Math.ceil(this.tuning.maxResponseBytes * 1.4) + 65536,
      logger,
      onLimit: (type, data) => this.event(`process_${type}`, data),
    };
    this.inner = new IsolatedRuntime(this.init, {
      type: 'process',
      unit: 'process',
      serveModule: '',
      extra: {},
      tuning: this.tuning,
      createInstance: (spec) => {
        const inst = new ProcessInstance(spec, proc);
        this.instances[spec.index] = inst;
        return inst;
      },
      toError: (wire) => {
        if (wire.code === 'PLW_ERR_HOST_DENIED') this.event('process_host_denied', { ...wire.params });
        return undefined;
      },
      bridgeOp: async (op, args) => {
        if (op !== 'http.fetch') throw new Error(`unknown host call ${op}`);
        return this.fetch(args[0] as FetchRequest);
      },
    });
    await this.inner.load();
  }

  /** Aborted on dispose: no download outlives the runtime. */
  private readonly fetches = new AbortController();

  /** HTTP for the plugin, made by the host: only to hosts permissions.network grants. */
  private async fetch(req: FetchRequest): Promise<{ status: number; headers: Record<string, string>; body: string }> {
    const id = this.init.manifest.id;
    let url: URL;
    try {
      url = new URL(String(req?.url));
    } catch {
      throw new PlugwayError('PLW_ERR_BAD_REQUEST', { reason: `fetch: ${String(req?.url)} is not a URL` });
    }
    // The shared fetch policy (src/runtimes/fetch-policy.ts): the manifest's grant capped by
    // runtimes.fetch.allowed_hosts, the body streamed and aborted at runtimes.fetch.max_response_bytes.
    const p = this.init.fetchPolicy ?? DEFAULT_FETCH_POLICY;
    const policy = { ...p, maxResponseBytes: Math.min(p.maxResponseBytes, this.tuning.maxResponseBytes), timeoutMs: Math.min(p.timeoutMs, this.init.defaultTimeoutMs) };
    const denied = egressDenial(id, url, this.init.manifest.permissions.network, policy, 'PLW_ERR_HOST_DENIED');
    if (denied) {
      this.event('process_host_denied', { host: url.host });
      throw denied;
    }
    let res;
    try {
      res = await fetchWithLimit(id, url, { method: req.method ?? 'GET', headers: req.headers ?? {}, ...(req.body !== undefined && req.body !== null ? { body: req.body } : {}) }, policy, this.fetches.signal);
    } catch (err) {
      if ((err as PlugwayError).code === 'PLW_ERR_FETCH_TOO_LARGE') this.event('fetch_too_large', { ...(err as PlugwayError).params, runtime: 'process' });
      throw err;
    }
    return { status: res.status, headers: res.headers, body: res.body.toString('utf8') };
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

  /** The live instances' child processes (the outermost pid: sh exec'd into bwrap), for tests and diagnostics. */
  processes(): Array<{ index: number; pid?: number; state: string; cpuMs?: number }> {
    return this.instances.map((i) => ({ index: i.index, pid: i.pid, state: i.state, cpuMs: i.cpuMs() }));
  }

  resourceUsage(): Promise<Partial<PluginMetrics>> {
    return this.inner ? this.inner.resourceUsage() : Promise.resolve({});
  }

  async dispose(): Promise<void> {
    this.fetches.abort();
    try {
      await this.inner?.dispose();
    } catch (err) {
      this.init.logger.warn({ err }, `disposing process plugin ${this.init.manifest.id}: ${reasonOf(err)}`);
    }
  }
}

export type { ProcessRuntime };

export function createProcessRuntime(init: RuntimeInit, tuning: Partial<RuntimeTuning> = {}): PluginRuntime {
  return new ProcessRuntime(init, tuningOf(init, tuning));
}
