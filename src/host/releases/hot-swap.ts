// Blue-green swap steps: bring a new version up beside the serving one (register → load → init →
// start → health check), switch the active version in one synchronous step, drain the old one, stop it.

import type { Logger } from 'pino';
import { PlugwayError, isPlugwayError, reasonOf } from '../../errors.js';
import { manifestError } from '../../manifest/index.js';
import type { EventBusImpl } from '../events.js';
import type { HealthMonitor } from '../health.js';
import type { Lifecycle } from '../lifecycle.js';
import type { Loader, ReadPlugin } from '../loader.js';
import type { PluginRecord, Registry } from '../registry.js';
import type { Traffic } from '../traffic.js';

export interface SwapDeps {
  registry: Registry;
  lifecycle: Lifecycle;
  loader: Loader;
  health: HealthMonitor;
  events: EventBusImpl;
  traffic: Traffic;
  logger: Logger;
}

export type SwapStep = 'read' | 'manifest' | 'register' | 'dependencies' | 'load' | 'init' | 'start' | 'health' | 'canary';

export function reloadFailed(id: string, step: SwapStep | string, err: unknown): PlugwayError {
  const reason = isPlugwayError(err) ? `${err.code}: ${err.message}` : reasonOf(err);
  return new PlugwayError('PLW_ERR_RELOAD_FAILED', { id, step, reason }, { cause: err });
}

/** A version string not yet taken by another instance of `id` (same version, new content: `+<hash8>`). */
export function freeVersion(registry: Registry, id: string, version: string, hash: string): string {
  if (!registry.getVersion(id, version)) return version;
  const tag = hash.slice(0, 8);
  const base = version.includes('+') ? `${version}.${tag}` : `${version}+${tag}`;
  if (!registry.getVersion(id, base)) return base;
  for (let n = 2; ; n++) if (!registry.getVersion(id, `${base}.${n}`)) return `${base}.${n}`;
}

/**
 * Brings `read` up beside the active instance of `id`, running and healthy, but not serving.
 * On any failure nothing is left behind and PLW_ERR_RELOAD_FAILED names the step.
 */
export async function prepareBeside(id: string, read: ReadPlugin, hash: string, deps: SwapDeps): Promise<PluginRecord> {
  const { registry, lifecycle, loader, health } = deps;
  const m = read.result.manifest;
  if (!m || read.result.errors.length) throw reloadFailed(id, 'manifest', manifestError(read.result));
  if (m.id !== id) throw reloadFailed(id, 'manifest', `the manifest now names the plugin "${m.id}"; an id cannot change in a reload`);
  if (!read.entryPath) throw reloadFailed(id, 'manifest', `no entry file (runtime.entry ${m.runtime.entry ?? 'defaults'}) next to ${read.result.source.file ?? read.result.source.dir}`);
  const version = freeVersion(registry, id, m.version, hash);
  const admitted: ReadPlugin = version === m.version ? read : { ...read, result: { ...read.result, manifest: { ...m, version } } };
  let next: PluginRecord | undefined;
  let step: SwapStep = 'register';
  try {
    next = loader.admitRead(admitted, { beside: true });
    if (next.state === 'failed') throw next.error;
    step = 'dependencies';
    for (const d of next.dependencies) {
      if (d.optional) continue;
      const dep = registry.get(d.id);
      if (dep?.state !== 'running') throw new PlugwayError('PLW_ERR_DEPENDENCY_FAILED', { id, dependency: d.id });
    }
    step = 'load';
    await lifecycle.load(next);
    step = 'init';
    await lifecycle.init(next);
    step = 'start';
    await lifecycle.start(next);
    step = 'health';
    const h = await health.check(next);
    if (h.status === 'unhealthy') throw new Error(`health check: ${h.message ?? 'unhealthy'}`);
  } catch (err) {
    if (next) await discard(next, deps);
    throw reloadFailed(id, step, err);
  }
  return next;
}

/**
 * Makes `next` the serving instance in one synchronous step (no await between the split being
 * cleared and the switch), then waits for `old`'s in-flight calls and stops it (not disposed).
 */
export async function cutOver(old: PluginRecord, next: PluginRecord, drainTimeoutMs: number, deps: SwapDeps): Promise<{ cutOverAt: number; drainMs: number; drained: boolean }> {
  const { registry, traffic, events, lifecycle, logger } = deps;
  traffic.clearSplit(next.id);
  registry.setActive(next.id, next.version);
  const cutOverAt = performance.now();
  // Delivered synchronously: the gateway recompiles its routes for the new manifest before any other request.
  void events.emit('plugin.activated', { id: next.id, version: next.version, previous: old.version });
  const { drained, inFlight } = await traffic.drain(old, drainTimeoutMs);
  const drainMs = performance.now() - cutOverAt;
  if (!drained)
    logger.warn(
      { plugin_id: old.id, version: old.version, in_flight: inFlight, drain_timeout_ms: drainTimeoutMs },
      `old version still had ${inFlight} calls in flight after ${drainTimeoutMs} ms; stopping it anyway`,
    );
  if (old.state === 'running' || old.state === 'initialized') {
    await lifecycle.stop(old).catch((err) => logger.warn({ plugin_id: old.id, version: old.version, err }, `stopping the old version failed: ${reasonOf(err)}`));
  }
  return { cutOverAt, drainMs, drained };
}

/** Stops (if live), disposes and unregisters one non-active instance. */
export async function discard(rec: PluginRecord, deps: Pick<SwapDeps, 'registry' | 'lifecycle' | 'logger'>): Promise<void> {
  if (deps.registry.get(rec.id) === rec) throw new Error(`refusing to discard the active instance ${rec.key}`);
  if (rec.state === 'running' || rec.state === 'initialized' || rec.state === 'loaded') {
    await deps.lifecycle.stop(rec).catch((err) => deps.logger.warn({ plugin_id: rec.id, version: rec.version, err }, `stop failed: ${reasonOf(err)}`));
  }
  await deps.lifecycle.dispose(rec);
  deps.registry.remove(rec);
}
