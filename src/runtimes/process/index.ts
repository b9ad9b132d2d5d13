// The `process` runtime: a plugin in any language as N child processes, each under bubblewrap (own
// mount, network, PID and user namespaces, empty environment) and in its own cgroup (cpu, memory,
// pids). Balancing, deadlines, crash restart with backoff and the context bridge are IsolatedRuntime's.

import { PlugwayError } from '../../errors.js';
import type { PluginRuntime, RuntimeInit } from '../types.js';
import { IsolatedRuntime, tuningOf, type RuntimeTuning } from '../isolated-runtime.js';
import type { HostFetchRequest } from '../fetch-policy.js';
import { DeferredIsolatedRuntime } from '../deferred-runtime.js';
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

class ProcessRuntime extends DeferredIsolatedRuntime {
  readonly type = 'process' as const;
  private readonly instances: ProcessInstance[] = [];

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
        ? {
            sandbox: {
              bwrap: bwrapPath()!,
              spec: { pluginDir, ...(launch.sdkDir ? { sdkDir: launch.sdkDir } : {}), extraReadOnly: launch.extraReadOnly, env, diskMb: resources.disk ?? DEFAULT_DISK_MB },
            },
          }
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
        return this.fetch(args[0] as HostFetchRequest);
      },
    });
    await this.inner.load();
  }

  /** HTTP for the plugin, made by the host (fetch-policy.ts): only to hosts permissions.network grants and runtimes.fetch allows. */
  private async fetch(req: HostFetchRequest): Promise<{ status: number; headers: Record<string, string>; body: string }> {
    const res = await this.fetchForPlugin(req, {
      notGranted: 'PLW_ERR_HOST_DENIED',
      // the plugin may catch the error its fetch gets: the event is sent here, not when a call fails
      onRefused: (err) => {
        if (err.code === 'PLW_ERR_FETCH_TOO_LARGE') this.event('fetch_too_large', { ...err.params, runtime: 'process' });
        else this.event('process_host_denied', { host: err.params.host });
      },
    });
    return { status: res.status, headers: res.headers, body: res.body.toString('utf8') };
  }

  /** The live instances' child processes (the outermost pid: sh exec'd into bwrap), for tests and diagnostics. */
  processes(): Array<{ index: number; pid?: number; state: string; cpuMs?: number }> {
    return this.instances.map((i) => ({ index: i.index, pid: i.pid, state: i.state, cpuMs: i.cpuMs() }));
  }
}

export type { ProcessRuntime };

export function createProcessRuntime(init: RuntimeInit, tuning: Partial<RuntimeTuning> = {}): PluginRuntime {
  return new ProcessRuntime(init, tuningOf(init, tuning));
}
