// The llm-gateway's config (plugins.configs.llm-gateway.config) as written in plugway.yaml,
// normalized: durations in ms, providers as ProviderTargets with their routing figures.
import type { ProviderTarget } from 'plugway/sdk';

export interface RawProvider {
  name: string;
  type: string;
  base_url?: string;
  api_key?: string;
  models?: string[];
  weight?: number;
  priority?: number;
  timeout?: string | number;
  price?: { input?: number; output?: number };
  [extra: string]: unknown;
}

export interface RawBudget {
  tokens?: number;
  cost?: number;
  period?: string | number;
}

export interface LlmGatewayConfig {
  providers?: RawProvider[];
  router?: {
    strategy?: string;
    fallback_on?: Array<string | number>;
    retries?: number;
    deadline?: string | number;
    cooldown?: string | number;
    circuit_breaker?: { failures?: number; open?: string | number };
  };
  keys?: Array<{ key: string; user?: string; budget?: RawBudget }>;
  budget?: RawBudget;
  budget_store?: { type?: 'memory' | 'redis'; redis_url?: string; key_prefix?: string };
  cache?: { enabled?: boolean; ttl?: string | number; store?: 'memory' | 'redis'; max_entries?: number; redis_url?: string; key_prefix?: string };
}

export interface ProviderEntry {
  target: ProviderTarget;
  weight: number;
  priority: number;
  /** Position in the providers list. */
  order: number;
  price?: { input: number; output: number };
}

export interface Budget {
  tokens?: number;
  cost?: number;
  periodMs: number;
  /** As written ("1d"), for messages. */
  period: string;
}

export interface Settings {
  providers: ProviderEntry[];
  strategy: string;
  /** Triggers: a status code, "4xx"/"5xx", "timeout", "connect". */
  fallbackOn: Set<string>;
  retries: number;
  deadlineMs: number;
  cooldownMs: number;
  breaker: { failures: number; openMs: number };
  keys: Map<string, { user?: string; budget?: Budget }>;
  budget?: Budget;
  budgetStore: { type: 'memory' | 'redis'; redisUrl: string; keyPrefix: string };
  cache?: { ttlMs: number; store: 'memory' | 'redis'; maxEntries: number; redisUrl: string; keyPrefix: string };
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** "30s", "1d", "500ms" or a number of ms. Throws on anything else (the config is refused at init). */
export function durationMs(v: string | number | undefined, fallback: number, what: string): number {
  if (v === undefined) return fallback;
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return v;
  const m = typeof v === 'string' ? /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?$/.exec(v.trim()) : null;
  if (!m) throw new Error(`llm-gateway: ${what}: "${v}" is not a duration (e.g. 500ms, 30s, 1h, 1d)`);
  return Number(m[1]) * UNITS[m[2] ?? 'ms']!;
}

/** Provider fields the gateway reads itself; the rest go to the provider plugin as options. */
const KNOWN = new Set(['name', 'type', 'base_url', 'api_key', 'models', 'weight', 'priority', 'timeout', 'price']);

function budgetOf(b: RawBudget | undefined, what: string): Budget | undefined {
  if (!b || (b.tokens === undefined && b.cost === undefined)) return undefined;
  const period = b.period ?? '1d';
  return { tokens: b.tokens, cost: b.cost, periodMs: durationMs(period, 86_400_000, `${what}.period`), period: String(period) };
}

export function settingsOf(c: LlmGatewayConfig): Settings {
  const names = new Set<string>();
  const providers = (c.providers ?? []).map((p, order): ProviderEntry => {
    if (names.has(p.name)) throw new Error(`llm-gateway: providers[${order}].name "${p.name}" is used twice; names must be unique (x-plugway-provider shows them)`);
    names.add(p.name);
    const options: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(p)) if (!KNOWN.has(k)) options[k] = v;
    const entry: ProviderEntry = {
      target: { name: p.name, type: p.type, models: p.models ?? [], timeoutMs: durationMs(p.timeout, 60_000, `providers[${order}].timeout`), options },
      weight: p.weight ?? 1,
      priority: p.priority ?? 0,
      order,
    };
    if (p.base_url) entry.target.baseUrl = p.base_url;
    if (p.api_key) entry.target.apiKey = p.api_key;
    if (p.price) entry.price = { input: p.price.input ?? 0, output: p.price.output ?? 0 };
    return entry;
  });
  const r = c.router ?? {};
  const keys = new Map<string, { user?: string; budget?: Budget }>();
  for (const [i, k] of (c.keys ?? []).entries()) keys.set(k.key, { ...(k.user ? { user: k.user } : {}), ...(k.budget ? { budget: budgetOf(k.budget, `keys[${i}].budget`) } : {}) });
  const s: Settings = {
    providers,
    strategy: r.strategy ?? 'priority',
    fallbackOn: new Set((r.fallback_on ?? [429, '5xx', 'timeout', 'connect']).map((x) => String(x).toLowerCase())),
    retries: Math.min(5, r.retries ?? 4),
    deadlineMs: durationMs(r.deadline, 120_000, 'router.deadline'),
    cooldownMs: durationMs(r.cooldown, 5_000, 'router.cooldown'),
    breaker: { failures: r.circuit_breaker?.failures ?? 5, openMs: durationMs(r.circuit_breaker?.open, 30_000, 'router.circuit_breaker.open') },
    keys,
    budgetStore: { type: c.budget_store?.type ?? 'memory', redisUrl: c.budget_store?.redis_url ?? 'redis://127.0.0.1:6379', keyPrefix: c.budget_store?.key_prefix ?? 'plw:llm:' },
  };
  const b = budgetOf(c.budget, 'budget');
  if (b) s.budget = b;
  if (c.cache?.enabled) {
    s.cache = {
      ttlMs: durationMs(c.cache.ttl, 300_000, 'cache.ttl'),
      store: c.cache.store ?? 'memory',
      maxEntries: c.cache.max_entries ?? 1000,
      redisUrl: c.cache.redis_url ?? 'redis://127.0.0.1:6379',
      keyPrefix: c.cache.key_prefix ?? 'plw:llm:',
    };
  }
  return s;
}

/** Whether a failure is one of the fallback_on triggers; the trigger's name (the switch reason) if so. */
export function triggerOf(fallbackOn: Set<string>, type: string, status?: number): string | undefined {
  if (type === 'timeout' || type === 'connect') return fallbackOn.has(type) ? type : undefined;
  if (type === 'cut' || type === 'invalid') return fallbackOn.has('5xx') ? '5xx' : undefined;
  if (status === undefined) return undefined;
  if (fallbackOn.has(String(status))) return status >= 500 ? (fallbackOn.has('5xx') ? '5xx' : String(status)) : String(status);
  const klass = `${Math.floor(status / 100)}xx`;
  return fallbackOn.has(klass) ? klass : undefined;
}
