// host.selectProvider(): the router plugins pick among the running provider plugins (the GoLeapAI
// seed's Route), and the onProviderSwitch hooks run when a key's pick differs from its last one.

import type { Logger } from 'pino';
import { reasonOf } from '../errors.js';
import type { ProviderSwitchEvent } from '../sdk/context.js';
import type { ProviderCandidate, ProviderRequest } from '../sdk/plugin.js';
import type { HookManagerImpl } from './hooks.js';
import type { PluginRecord } from './registry.js';
import type { ProviderSelection, SelectProviderOptions } from './types.js';
import type { RuntimeStats } from '../runtimes/types.js';

export interface ProviderSelectorDeps {
  /** Running, enabled plugins of a kind. */
  running(kind: 'provider' | 'router'): PluginRecord[];
  call<T>(id: string, method: string, args: readonly unknown[], signal?: AbortSignal): Promise<T>;
  /** The host's count of a plugin's calls (host.runtimeStats). */
  stats(id: string): RuntimeStats | undefined;
  /** plugins.configs.<id>.priority (0 when absent): higher is asked (routers) or chosen (fallback) first. */
  priority(id: string): number;
  hooks: HookManagerImpl;
  logger: Logger;
}

/** Keys remembered for switch detection; the oldest is forgotten beyond this. */
const MAX_KEYS = 10_000;

export class ProviderSelector {
  private readonly last = new Map<string, string>();

  constructor(private readonly deps: ProviderSelectorDeps) {}

  private byPriority(recs: PluginRecord[]): PluginRecord[] {
    return [...recs].sort((a, b) => this.deps.priority(b.id) - this.deps.priority(a.id) || a.id.localeCompare(b.id));
  }

  /** Running providers with their models, health and the host's counts; one whose models() fails is left out. */
  async candidates(signal?: AbortSignal): Promise<ProviderCandidate[]> {
    const out = await Promise.all(
      this.byPriority(this.deps.running('provider')).map(async (rec): Promise<ProviderCandidate | undefined> => {
        let models: string[];
        try {
          const m = await this.deps.call<unknown>(rec.id, 'models', [], signal);
          models = Array.isArray(m) ? m.filter((x): x is string => typeof x === 'string') : [];
        } catch (err) {
          this.deps.logger.warn({ plugin_id: rec.id, err }, `provider ${rec.id} left out of the selection: models() failed: ${reasonOf(err)}`);
          return undefined;
        }
        const c: ProviderCandidate = { id: rec.id, models, health: rec.health };
        const s = this.deps.stats(rec.id);
        if (s && s.calls > 0) {
          c.meanLatencyMs = s.totalMs / s.calls;
          c.errorRate = s.errors / s.calls;
        }
        return c;
      }),
    );
    return out.filter((c): c is ProviderCandidate => c !== undefined);
  }

  async select(req: ProviderRequest, options: SelectProviderOptions = {}): Promise<ProviderSelection | undefined> {
    const candidates = await this.candidates(options.signal);
    if (candidates.length === 0) return undefined;
    const pick = (await this.askRouters(req, candidates, options.signal)) ?? this.fallback(req, candidates);
    if (!pick) return undefined;

    const key = options.key ?? req.model;
    const from = this.last.get(key);
    this.last.delete(key); // re-inserted last: the Map's order is the recency order
    this.last.set(key, pick.provider);
    if (this.last.size > MAX_KEYS) this.last.delete(this.last.keys().next().value!);
    if (from !== undefined && from !== pick.provider) {
      pick.switchedFrom = from;
      const event: ProviderSwitchEvent = { key, model: req.model, from, to: pick.provider, reason: pick.reason, ...(pick.router ? { router: pick.router } : {}) };
      if (this.deps.hooks.has('onProviderSwitch')) await this.deps.hooks.run('onProviderSwitch', event);
    }
    return pick;
  }

  /** The first router (by priority) that wants the request and names a running provider. */
  private async askRouters(req: ProviderRequest, candidates: ProviderCandidate[], signal?: AbortSignal): Promise<ProviderSelection | undefined> {
    const ids = new Set(candidates.map((c) => c.id));
    for (const router of this.byPriority(this.deps.running('router'))) {
      try {
        if (router.runtime?.implements('canRoute') && !(await this.deps.call<boolean>(router.id, 'canRoute', [req], signal))) continue;
        const id = await this.deps.call<unknown>(router.id, 'selectProvider', [req, candidates], signal);
        if (id === undefined || id === null || id === '') continue;
        if (typeof id === 'string' && ids.has(id)) return { provider: id, reason: 'router', router: router.id };
        this.deps.logger.warn({ plugin_id: router.id, chosen: id }, `router ${router.id} chose ${JSON.stringify(id)}, which is not a running provider; ignored`);
      } catch (err) {
        this.deps.logger.warn({ plugin_id: router.id, err }, `router ${router.id} failed; asking the next one: ${reasonOf(err)}`);
      }
    }
    return undefined;
  }

  /** Without a router's pick: the request's preferredProvider, else the first provider serving the model that is not unhealthy. */
  private fallback(req: ProviderRequest, candidates: ProviderCandidate[]): ProviderSelection | undefined {
    if (req.preferredProvider && candidates.some((c) => c.id === req.preferredProvider)) return { provider: req.preferredProvider, reason: 'preferred' };
    const c = candidates.find((x) => x.models.includes(req.model) && x.health !== 'unhealthy');
    return c ? { provider: c.id, reason: 'fallback' } : undefined;
  }
}
