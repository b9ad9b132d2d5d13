// `plugway plugin test`: loads a plugin in its declared runtime through the real host, runs
// init → start → health check → stop, replays its fixtures, and measures call times and memory
// against the manifest's resources. Produces a report; never throws for a failing plugin.

import { cpSync, existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pino from 'pino';
import { isPlugwayError, reasonOf } from '../errors.js';
import { defaultHostConfig } from '../host/config.js';
import { createHost } from '../host/index.js';
import type { StateChange } from '../host/types.js';
import type { PluginManifest } from '../manifest/types.js';
import type { DomainEvent, PluginMetrics, PluginResponse } from '../sdk/types.js';
import { handOver } from '../gateway/steps/middleware.js';
import { loadFixtures, matchEndpoint, subsetDiff, toPluginRequest, type Fixture } from './fixtures.js';
import { loadBuiltManifest } from './pack.js';
import { hasPythonTests, runPythonTests } from './python-tests.js';

export interface HarnessOptions {
  /** Times the fixture list is replayed for timings (default 20). */
  rounds?: number;
  /** Run build.mjs first when the entry is stale (default true). */
  build?: boolean;
}

export interface StepResult {
  step: 'build' | 'validate' | 'unit' | 'fixtures' | 'load' | 'init' | 'start' | 'health' | 'stop';
  ok: boolean;
  durationMs: number;
  detail?: string;
}

export interface FixtureResult {
  name: string;
  /** "GET /x/hello/Ada" or "call execute". */
  target: string;
  ok: boolean;
  failures: string[];
  p50Ms: number;
  p99Ms: number;
  samples: number;
}

export interface HarnessReport {
  ok: boolean;
  dir: string;
  plugin?: { id: string; version: string; kind: string; runtime: string };
  steps: StepResult[];
  fixtures: FixtureResult[];
  /** Declared endpoints and how many fixtures hit each. */
  endpoints: Array<{ method: string; path: string; fixtures: number }>;
  resources: {
    timeoutMs?: number;
    memoryMb?: number;
    p50Ms?: number;
    p99Ms?: number;
    /** What the runtime reports (worker, wasm), or the process heap growth during the run (inprocess). */
    memoryUsedMb?: number;
    memorySource?: string;
  };
  failures: string[];
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

function describeError(err: unknown): string {
  return isPlugwayError(err) ? `${err.code}: ${err.message}` : reasonOf(err);
}

/** A plugins folder holding only a copy of this plugin (the host discovers <dir>/<id>/plugin.yaml). */
function stage(dir: string, id: string): string {
  const root = mkdtempSync(join(tmpdir(), 'plugway-test-'));
  const target = join(root, id);
  cpSync(dir, target, {
    recursive: true,
    filter: (src) => !/[/\\](node_modules|\.git)$/.test(src) && !/\.tgz(\.sig)?$/.test(src),
  });
  if (existsSync(join(dir, 'node_modules'))) symlinkSync(join(dir, 'node_modules'), join(target, 'node_modules'), 'dir');
  return root;
}

async function runFixture(f: Fixture, manifest: PluginManifest, call: (method: string, args: unknown[]) => Promise<unknown>, n: number): Promise<{ failures: string[]; ms: number }> {
  const failures: string[] = [];
  const started = performance.now();
  let value: unknown;
  let error: unknown;
  try {
    if (f.request) {
      const method = (f.request.method ?? 'GET').toUpperCase();
      const hit = matchEndpoint(manifest.endpoints, method, f.request.path ?? '/');
      if (!hit) return { failures: [`${method} ${f.request.path} matches no endpoint in plugin.yaml`], ms: 0 };
      value = await call('handleRequest', [toPluginRequest(f.request, hit.params, `fixture-${n}`)]);
    } else {
      const c = f.call!;
      const args = c.request ? [toPluginRequest(c.request, {}, `fixture-${n}`), ...(c.args ?? [])] : [...(c.args ?? [])];
      // onResponse gets its response as the gateway hands it: with a headers object ({} when none)
      const at = c.request ? 1 : 0;
      if (c.method === 'onResponse' && args.length > at) args[at] = handOver(args[at] as PluginResponse);
      value = await call(c.method, args);
    }
  } catch (err) {
    error = err;
  }
  const ms = performance.now() - started;
  const e = f.expect;
  if (e.error !== undefined) {
    if (error === undefined) failures.push(`expected an error matching "${e.error}", but the call succeeded`);
    else if (!(isPlugwayError(error) && error.code === e.error) && !describeError(error).includes(e.error)) {
      failures.push(`expected an error matching "${e.error}", got ${describeError(error)}`);
    }
    return { failures, ms };
  }
  if (error !== undefined) return { failures: [`threw ${describeError(error)}`], ms };
  if (f.request) {
    const res = value as { statusCode?: unknown; body?: unknown; headers?: Record<string, unknown> } | undefined;
    if (!res || typeof res.statusCode !== 'number') return { failures: [`handleRequest returned ${JSON.stringify(value)}, not a PluginResponse`], ms };
    if (e.status !== undefined && res.statusCode !== e.status) failures.push(`status: expected ${e.status}, got ${res.statusCode}`);
    if (e.body !== undefined) failures.push(...subsetDiff(e.body, res.body, 'body'));
    if (e.headers) {
      const lower = Object.fromEntries(Object.entries(res.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
      for (const [k, v] of Object.entries(e.headers)) if (String(lower[k.toLowerCase()]) !== v) failures.push(`header ${k}: expected ${v}, got ${String(lower[k.toLowerCase()])}`);
    }
  } else if ('result' in e) {
    failures.push(...subsetDiff(e.result, value, 'result'));
  }
  return { failures, ms };
}

export async function testPlugin(dirArg: string, options: HarnessOptions = {}): Promise<HarnessReport> {
  const dir = resolve(dirArg);
  const rounds = Math.max(1, options.rounds ?? 20);
  const report: HarnessReport = { ok: false, dir, steps: [], fixtures: [], endpoints: [], resources: {}, failures: [] };
  const fail = (step: StepResult['step'], started: number, err: unknown): HarnessReport => {
    const detail = describeError(err);
    report.steps.push({ step, ok: false, durationMs: performance.now() - started, detail });
    report.failures.push(`${step}: ${detail}`);
    return report;
  };

  let t = performance.now();
  let manifest: PluginManifest;
  try {
    manifest = (await loadBuiltManifest(dir, options.build !== false)).manifest;
  } catch (err) {
    return fail(isPlugwayError(err, 'PLW_ERR_PLUGIN_BUILD_FAILED') ? 'build' : 'validate', t, err);
  }
  report.steps.push({ step: 'validate', ok: true, durationMs: performance.now() - t, detail: 'built, manifest and entry valid' });
  report.plugin = { id: manifest.id, version: manifest.version, kind: manifest.kind, runtime: manifest.runtime.type };
  report.resources = { ...(manifest.resources.timeoutMs ? { timeoutMs: manifest.resources.timeoutMs } : {}), ...(manifest.resources.memory ? { memoryMb: manifest.resources.memory } : {}) };

  if (manifest.runtime.type === 'process' && hasPythonTests(dir)) {
    t = performance.now();
    const unit = await runPythonTests(dir);
    report.steps.push({ step: 'unit', ok: unit.ok, durationMs: performance.now() - t, detail: unit.detail });
    if (!unit.ok) report.failures.push(`unit: ${unit.detail}`);
  }

  t = performance.now();
  let fixtures: Fixture[];
  try {
    const loaded = loadFixtures(dir);
    fixtures = loaded.fixtures;
    report.steps.push({ step: 'fixtures', ok: true, durationMs: performance.now() - t, detail: loaded.file ? `${fixtures.length} from ${loaded.file}` : 'no fixtures file' });
  } catch (err) {
    return fail('fixtures', t, err);
  }
  report.endpoints = manifest.endpoints.map((ep) => ({
    method: ep.method,
    path: ep.path,
    fixtures: fixtures.filter((f) => f.request && matchEndpoint([ep], (f.request.method ?? 'GET').toUpperCase(), f.request.path ?? '/')).length,
  }));
  for (const ep of report.endpoints) if (ep.fixtures === 0) report.failures.push(`endpoint ${ep.method} ${ep.path} has no fixture: add one to fixtures.json`);

  const root = stage(dir, manifest.id);
  const config = defaultHostConfig();
  config.plugins.directories = [root];
  config.state.dir = join(root, '.state');
  const host = createHost({ config, logger: pino({ level: 'silent' }) });
  const marks = new Map<string, number>();
  host.events.on<StateChange>('plugin.state_changed', (e: DomainEvent<StateChange>) => {
    if (e.data.id === manifest.id) marks.set(e.data.to, performance.now());
  });
  const id = manifest.id;
  try {
    t = performance.now();
    const heapBefore = process.memoryUsage().heapUsed;
    const started = await host.start();
    const failed = started.failed.find((f) => f.id === id);
    const loadedAt = marks.get('loaded') ?? t;
    report.steps.push({ step: 'load', ok: marks.has('loaded'), durationMs: loadedAt - t });
    const initAt = marks.get('initialized');
    report.steps.push({ step: 'init', ok: initAt !== undefined, durationMs: initAt !== undefined ? initAt - loadedAt : 0 });
    const runAt = marks.get('running');
    report.steps.push({ step: 'start', ok: runAt !== undefined, durationMs: runAt !== undefined && initAt !== undefined ? runAt - initAt : 0 });
    if (failed || host.get(id)?.state !== 'running') {
      const reason = failed ? `${failed.code}: ${failed.message}` : `plugin is ${host.get(id)?.state ?? 'not registered'}`;
      const first = report.steps.find((s) => !s.ok) ?? report.steps[report.steps.length - 1]!;
      first.ok = false;
      first.detail = reason;
      report.failures.push(`start: ${reason}`);
      return report;
    }

    t = performance.now();
    try {
      const h = await host.checkHealth(id);
      const ok = h.status !== 'unhealthy';
      report.steps.push({ step: 'health', ok, durationMs: performance.now() - t, detail: h.message ? `${h.status}: ${h.message}` : h.status });
      if (!ok) report.failures.push(`health: ${h.status}${h.message ? ` (${h.message})` : ''}`);
    } catch (err) {
      fail('health', t, err);
    }

    const all: number[] = [];
    const call = (method: string, args: unknown[]) => host.call(id, method, args);
    for (const f of fixtures) {
      const target = f.request ? `${(f.request.method ?? 'GET').toUpperCase()} ${f.request.path}` : `call ${f.call!.method}`;
      report.fixtures.push({ name: f.name, target, ok: true, failures: [], p50Ms: 0, p99Ms: 0, samples: 0 });
    }
    // Replay the whole list each round, so that stateful sequences (set, get, delete) stay meaningful.
    const samples: number[][] = fixtures.map(() => []);
    for (let round = 0; round < rounds; round++) {
      for (const [i, f] of fixtures.entries()) {
        const r = report.fixtures[i]!;
        const { failures, ms } = await runFixture(f, manifest, call, round * fixtures.length + i);
        samples[i]!.push(ms);
        all.push(ms);
        if (failures.length && r.ok) {
          r.ok = false;
          r.failures = round === 0 ? failures : failures.map((x) => `${x} (round ${round + 1})`);
        }
      }
      if (report.fixtures.some((r) => !r.ok)) break;
    }
    for (const [i, r] of report.fixtures.entries()) {
      const s = [...samples[i]!].sort((a, b) => a - b);
      Object.assign(r, { p50Ms: percentile(s, 50), p99Ms: percentile(s, 99), samples: s.length });
      if (!r.ok) report.failures.push(`fixture "${r.name}": ${r.failures.join('; ')}`);
    }
    all.sort((a, b) => a - b);
    if (all.length) {
      report.resources.p50Ms = percentile(all, 50);
      report.resources.p99Ms = percentile(all, 99);
      if (report.resources.timeoutMs !== undefined && report.resources.p99Ms > report.resources.timeoutMs) {
        report.failures.push(`resources: p99 call time ${report.resources.p99Ms.toFixed(1)} ms is above resources.timeout ${report.resources.timeoutMs} ms`);
      }
    }
    const usage: Partial<PluginMetrics> | undefined = await host
      .get(id)
      ?.runtime?.resourceUsage()
      .catch(() => ({}));
    if (usage && typeof usage.memoryUsageMb === 'number' && usage.memoryUsageMb > 0) {
      report.resources.memoryUsedMb = usage.memoryUsageMb;
      report.resources.memorySource = `${manifest.runtime.type} runtime`;
    } else {
      report.resources.memoryUsedMb = Math.max(0, (process.memoryUsage().heapUsed - heapBefore) / 1024 / 1024);
      report.resources.memorySource = 'process heap growth, in-process';
    }
    const used = report.resources.memoryUsedMb;
    if (report.resources.memoryMb !== undefined && used > report.resources.memoryMb) {
      report.failures.push(`resources: ${used.toFixed(1)} MB used is above resources.memory ${report.resources.memoryMb} MB`);
    }

    t = performance.now();
    try {
      await host.stopPlugin(id);
      const state = host.get(id)?.state;
      report.steps.push({ step: 'stop', ok: state === 'stopped', durationMs: performance.now() - t, detail: state ?? '' });
      if (state !== 'stopped') report.failures.push(`stop: plugin ended ${state}`);
    } catch (err) {
      fail('stop', t, err);
    }
  } catch (err) {
    report.failures.push(`host: ${describeError(err)}`);
  } finally {
    await host.stop().catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
  }
  report.ok = report.failures.length === 0;
  return report;
}
