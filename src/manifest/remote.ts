// `runtime.type: remote`: the manifest fields of a plugin that is a service elsewhere (and of a
// plugway.yaml `routes:` entry, which shares them), their JSON Schema and their normalized form.
import { toDurationMs } from './duration.js';

export type BalanceStrategy = 'round-robin' | 'least-request' | 'consistent-hash';
export const BALANCE_STRATEGIES: readonly BalanceStrategy[] = ['round-robin', 'least-request', 'consistent-hash'];

export interface RemoteDiscoverySpec {
  /** Only etcd is implemented; the interface (runtimes/remote/discovery/types.ts) admits others. */
  source: 'etcd';
  service: string;
  /** etcd client URLs; empty: PLUGWAY_ETCD_ENDPOINTS, then the host's state.etcd.endpoints, then 127.0.0.1:2379. */
  endpoints: string[];
  /** Key prefix under which instances register (`<prefix><service>/<instance>`). */
  prefix: string;
}

export interface RemoteSpec {
  /** Static upstream base URLs (http:// or https://); empty when discovered. */
  upstreams: string[];
  discover?: RemoteDiscoverySpec;
  balance: BalanceStrategy;
  /** consistent-hash: what picks the upstream: the authenticated user (else client address) or a header. */
  hashKey: { type: 'user' } | { type: 'header'; name: string };
  /** http: the request as is; plugin: the Veza seed's PluginRequest JSON POSTed to pluginPath. */
  protocol: 'http' | 'plugin';
  /** http: removed from the start of the path before it goes upstream. */
  stripPrefix?: string;
  /** http: put in front of the (stripped) path. */
  rewritePrefix?: string;
  /** plugin: the path PluginRequests are POSTed to. */
  pluginPath: string;
  tls?: { ca?: string; cert?: string; key?: string; servername?: string; verify: boolean };
  retries: { attempts: number; budgetPercent: number; minConcurrency: number };
  outlier: { consecutiveErrors: number; baseEjectionMs: number; maxEjectionMs: number; maxEjectedPercent: number };
  /** Connections per upstream (undici Pool). */
  connections: number;
  /** Pass WebSocket upgrades through (protocol http). */
  websocket: boolean;
}

export const DEFAULT_SERVICE_PREFIX = '/plugway/services/';

const str = { type: 'string' } as const;
const strList = { type: 'array', items: { type: 'string' } } as const;
const duration = { type: ['string', 'number'], format: 'duration', minimum: 0 } as const;

/** The fields `runtime:` takes for type remote (merged into the manifest schema's runtime properties). */
export const REMOTE_RUNTIME_PROPERTIES = {
  upstreams: {
    type: ['array', 'object'],
    items: { type: 'string', pattern: '^https?://' },
    minItems: 1,
    additionalProperties: false,
    required: ['discover', 'service'],
    properties: { discover: { type: 'string', enum: ['etcd'] }, service: { type: 'string', minLength: 1 }, endpoints: strList, prefix: str },
  },
  balance: { type: 'string', enum: [...BALANCE_STRATEGIES] },
  hash_key: { type: 'string', pattern: "^(user|header:[!#$%&'*+.^_`|~0-9A-Za-z-]+)$" },
  protocol: { type: 'string', enum: ['http', 'plugin'] },
  strip_prefix: { type: 'string', pattern: '^/' },
  rewrite_prefix: { type: 'string', pattern: '^/' },
  plugin_path: { type: 'string', pattern: '^/' },
  tls: {
    type: 'object',
    additionalProperties: false,
    properties: { ca: str, cert: str, key: str, servername: str, verify: { type: 'boolean' } },
  },
  retries: {
    type: 'object',
    additionalProperties: false,
    properties: {
      attempts: { type: 'integer', minimum: 0, maximum: 10 },
      budget_percent: { type: 'number', minimum: 0, maximum: 100 },
      min_concurrency: { type: 'integer', minimum: 0 },
    },
  },
  outlier_detection: {
    type: 'object',
    additionalProperties: false,
    properties: {
      consecutive_errors: { type: 'integer', minimum: 1 },
      base_ejection: duration,
      max_ejection: duration,
      max_ejected_percent: { type: 'number', minimum: 0, maximum: 100 },
    },
  },
  connections: { type: 'integer', minimum: 1, maximum: 4096 },
  websocket: { type: 'boolean' },
} as const;

type Raw = Record<string, unknown>;
const obj = (v: unknown): Raw => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Raw) : {});
const num = (v: unknown, d: number): number => (typeof v === 'number' ? v : d);

/** Normalizes the remote fields of a `runtime:` mapping (already checked against REMOTE_RUNTIME_PROPERTIES). */
export function remoteFromRaw(runtime: Raw): RemoteSpec {
  const up = runtime.upstreams;
  const retries = obj(runtime.retries);
  const outlier = obj(runtime.outlier_detection);
  const hk = typeof runtime.hash_key === 'string' ? runtime.hash_key : 'user';
  const spec: RemoteSpec = {
    upstreams: Array.isArray(up) ? up.filter((u): u is string => typeof u === 'string') : [],
    balance: (runtime.balance as BalanceStrategy | undefined) ?? 'round-robin',
    hashKey: hk.startsWith('header:') ? { type: 'header', name: hk.slice('header:'.length).toLowerCase() } : { type: 'user' },
    protocol: runtime.protocol === 'plugin' ? 'plugin' : 'http',
    pluginPath: typeof runtime.plugin_path === 'string' ? runtime.plugin_path : '/',
    retries: { attempts: num(retries.attempts, 2), budgetPercent: num(retries.budget_percent, 20), minConcurrency: num(retries.min_concurrency, 3) },
    outlier: {
      consecutiveErrors: num(outlier.consecutive_errors, 5),
      baseEjectionMs: toDurationMs(outlier.base_ejection) ?? 30_000,
      maxEjectionMs: toDurationMs(outlier.max_ejection) ?? 300_000,
      maxEjectedPercent: num(outlier.max_ejected_percent, 100),
    },
    connections: num(runtime.connections, 64),
    websocket: runtime.websocket !== false,
  };
  if (up && typeof up === 'object' && !Array.isArray(up)) {
    const d = obj(up);
    spec.discover = {
      source: 'etcd',
      service: String(d.service),
      endpoints: Array.isArray(d.endpoints) ? d.endpoints.map(String) : [],
      prefix: typeof d.prefix === 'string' ? d.prefix : DEFAULT_SERVICE_PREFIX,
    };
  }
  if (typeof runtime.strip_prefix === 'string') spec.stripPrefix = runtime.strip_prefix;
  if (typeof runtime.rewrite_prefix === 'string') spec.rewritePrefix = runtime.rewrite_prefix;
  if (runtime.tls && typeof runtime.tls === 'object') {
    const t = obj(runtime.tls);
    spec.tls = { verify: t.verify !== false };
    for (const k of ['ca', 'cert', 'key', 'servername'] as const) if (typeof t[k] === 'string') spec.tls[k] = t[k] as string;
  }
  return spec;
}

/** A remote spec from a partial one (plugins registered in code, config routes). */
export function normalizeRemoteSpec(input: Partial<RemoteSpec> | undefined): RemoteSpec {
  const base = remoteFromRaw({});
  if (!input) return base;
  return {
    ...base,
    ...input,
    retries: { ...base.retries, ...(input.retries ?? {}) },
    outlier: { ...base.outlier, ...(input.outlier ?? {}) },
    upstreams: input.upstreams ?? [],
  };
}
