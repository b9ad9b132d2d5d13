// plugway.yaml: defaults < file < PLUGWAY_* environment < overrides (CLI flags), `${VAR}` and
// `${VAR:-default}` interpolation, one JSON Schema over the merged result, then the HostConfig.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { delimiter, dirname, resolve } from 'node:path';
import type { ErrorObject } from 'ajv';
import { PlugwayError, type ErrorCode } from '../errors.js';
import { createAjv } from '../manifest/ajv.js';
import { splitDependencyString } from '../manifest/dependency.js';
import { isDuration, toDurationMs } from '../manifest/duration.js';
import { didYouMean } from '../manifest/suggest.js';
import { formatPath, locate, parseYamlSource, pointerToPath, type PathSegment, type YamlSource } from '../manifest/yaml-source.js';
import { DEFAULT_POLL_US } from '../runtimes/types.js';
import type { HostConfig, PluginOverrides } from './config-types.js';
import { CONFIG_ROUTE_SCHEMA, routesFromRaw } from './config-routes.js';
import { tryParseRateLimit } from '../manifest/rate-limit.js';
import { alertsConfigOf, alertsSchema, RAW_ALERT_DEFAULTS, type RawAlerts } from './config-alerts.js';
import { COVETPY_SCHEMA, expandHome, hotReloadOf, liftCovetKeys, memoryLimitMb } from './seed-config.js';

export type DeepPartial<T> = T extends unknown[] ? T : T extends object ? { [K in keyof T]?: DeepPartial<T[K]> } : T;
type Duration = string | number;
type Size = string | number;
interface RawBreaker { failure_threshold: number; open_timeout: Duration; half_open_limit: number }
interface RawBulkhead { max_concurrent: number; queue: number }

/** plugway.yaml as written (snake_case). Durations: "30s", "500ms", "1m" or ms; sizes: bytes or "1MiB", "10mb". */
export interface RawHostConfig {
  plugins: {
    enabled: boolean;
    directories: string[];
    /** The GoLeapAI seed's single folder: an alias of directories. */
    directory: string;
    auto_load: boolean;
    hot_reload: boolean;
    reload_interval: Duration;
    max_plugins: number;
    default_timeout: Duration;
    shutdown_timeout: Duration;
    /** CovetPy's keys (seed-config.ts). */
    plugin_paths?: string[]; reload_on_change?: boolean; auto_resolve_dependencies?: boolean; allow_circular_dependencies?: boolean;
    sandbox_enabled?: boolean; memory_limit?: Size; cpu_limit?: number;
    configs: Record<string, {
      enabled: boolean; priority: number; prefix: string; config: Record<string, unknown>; dependencies: string[];
      roles: string[]; required: boolean; timeout: Duration; circuit_breaker: Partial<RawBreaker>; bulkhead: Partial<RawBulkhead>;
      flags: Record<string, boolean>; listen: { port?: number; host?: string };
    }>;
  };
  gateway: {
    host: string; port: number; body_limit: Size; trust_proxy: boolean; auth: { plugin: string };
    rate_limit: { store: 'memory' | 'redis'; redis_url: string; key_prefix: string };
    websocket: { max_buffered_bytes: Size };
    circuit_breaker: RawBreaker; bulkhead: RawBulkhead; admin: { enabled: boolean; token: string; allowed_hosts: string[] }; max_response_bytes: Size;
    headers_timeout: Duration; request_timeout: Duration; body_timeout: Duration; max_connections: number; max_connections_per_ip: number;
    max_header_size: Size; sandbox_plugin_responses: boolean; metrics: { token: string; port: number; host: string };
    tls?: { cert?: string; key?: string; http2?: boolean };
  };
  state: { dir: string; store: 'file' | 'etcd'; etcd: { endpoints: string[]; prefix: string; username?: string; password?: string; tls?: { ca?: string; cert?: string; key?: string } }; keep_versions: number };
  reload: { watch_window: Duration; error_rate_threshold: number; min_calls: number; drain_timeout: Duration };
  runtimes: { poll_window_us: number; async_context: boolean; fetch: { allowed_hosts: string[]; max_response_bytes: Size; timeout: Duration } };
  storage: { plugin: string };
  alerts: RawAlerts;
  cluster: { node_id: string; node_ttl: Duration; address: string; nats: { servers: string[]; user: string; pass: string; token: string; buffer: number; tls: { ca: string; cert: string; key: string } } };
  logging: { level: HostConfig['logging']['level']; redact: string[]; timestamp: boolean };
  trusted_keys: string[];
  /** Plain proxy routes (config-routes.ts). */
  routes: unknown[];
  /** Process plugins run under bubblewrap; false runs them unsandboxed (a warning at every start). */
  sandbox: boolean;
}

export interface LoadHostConfigOptions {
  /** plugway.yaml; when absent, PLUGWAY_CONFIG from `env`; when that is absent too, defaults only. */
  file?: string;
  /** Defaults to process.env. */
  env?: NodeJS.ProcessEnv;
  /** Highest precedence (CLI flags), in the YAML shape. */
  overrides?: DeepPartial<RawHostConfig>;
  /** Folder relative paths from env and overrides resolve against (default process.cwd()). */
  cwd?: string;
}

const MiB = 1024 * 1024;

const DEFAULTS: RawHostConfig = {
  plugins: {
    enabled: true, directories: [], directory: '', auto_load: true, hot_reload: false, reload_interval: '300ms',
    max_plugins: 1000, default_timeout: '30s', shutdown_timeout: '10s', configs: {},
  },
  gateway: {
    host: '127.0.0.1', port: 8080, body_limit: MiB, trust_proxy: false, auth: {} as RawHostConfig['gateway']['auth'],
    rate_limit: { store: 'memory', key_prefix: 'plw' } as RawHostConfig['gateway']['rate_limit'],
    circuit_breaker: { failure_threshold: 5, open_timeout: '30s', half_open_limit: 1 },
    websocket: { max_buffered_bytes: MiB },
    bulkhead: { max_concurrent: 64, queue: 0 }, admin: { enabled: true, allowed_hosts: [] } as unknown as RawHostConfig['gateway']['admin'], max_response_bytes: 10 * MiB,
    // docs/security.md: what each limit defends.
    headers_timeout: '10s', request_timeout: '30s', body_timeout: '10s', max_connections: 10_000, max_connections_per_ip: 256,
    max_header_size: 16 * 1024, sandbox_plugin_responses: true, metrics: {} as RawHostConfig['gateway']['metrics'],
  },
  state: { dir: '.plugway', store: 'file', etcd: { endpoints: [], prefix: '/plugway/' }, keep_versions: 5 },
  reload: { watch_window: '30s', error_rate_threshold: 0.5, min_calls: 10, drain_timeout: '10s' },
  runtimes: { poll_window_us: DEFAULT_POLL_US, async_context: false, fetch: { allowed_hosts: ['*'], max_response_bytes: 4 * MiB, timeout: '30s' } },
  storage: {} as RawHostConfig['storage'],
  cluster: { node_ttl: '10s', nats: { servers: [], buffer: 10_000 } } as unknown as RawHostConfig['cluster'],
  logging: { level: 'info', redact: [], timestamp: false },
  trusted_keys: [],
  routes: [],
  alerts: structuredClone(RAW_ALERT_DEFAULTS),
  sandbox: true,
};

/**
 * PLUGWAY_* variables and the key each sets (documented in docs/configuration.md). `list: true` splits
 * on `,` and the path delimiter (folders); `'comma'` on `,` only (URLs hold `:`).
 */
export const ENV_MAPPING: Record<string, { path: string[]; list?: boolean | 'comma' }> = {
  PLUGWAY_HOST: { path: ['gateway', 'host'] },
  PLUGWAY_PORT: { path: ['gateway', 'port'] },
  PLUGWAY_BODY_LIMIT: { path: ['gateway', 'body_limit'] },
  PLUGWAY_TRUST_PROXY: { path: ['gateway', 'trust_proxy'] },
  PLUGWAY_AUTH_PLUGIN: { path: ['gateway', 'auth', 'plugin'] },
  PLUGWAY_ADMIN_TOKEN: { path: ['gateway', 'admin', 'token'] },
  PLUGWAY_METRICS_TOKEN: { path: ['gateway', 'metrics', 'token'] },
  PLUGWAY_FETCH_ALLOWED_HOSTS: { path: ['runtimes', 'fetch', 'allowed_hosts'], list: 'comma' },
  PLUGWAY_RATE_LIMIT_STORE: { path: ['gateway', 'rate_limit', 'store'] },
  PLUGWAY_RATE_LIMIT_REDIS_URL: { path: ['gateway', 'rate_limit', 'redis_url'] },
  PLUGWAY_PLUGINS_DIRS: { path: ['plugins', 'directories'], list: true },
  PLUGWAY_MAX_PLUGINS: { path: ['plugins', 'max_plugins'] },
  PLUGWAY_DEFAULT_TIMEOUT: { path: ['plugins', 'default_timeout'] },
  PLUGWAY_HOT_RELOAD: { path: ['plugins', 'hot_reload'] },
  PLUGWAY_STATE_DIR: { path: ['state', 'dir'] },
  PLUGWAY_STATE_STORE: { path: ['state', 'store'] },
  PLUGWAY_ETCD_ENDPOINTS: { path: ['state', 'etcd', 'endpoints'], list: 'comma' },
  PLUGWAY_ETCD_PREFIX: { path: ['state', 'etcd', 'prefix'] },
  PLUGWAY_ETCD_USERNAME: { path: ['state', 'etcd', 'username'] },
  PLUGWAY_ETCD_PASSWORD: { path: ['state', 'etcd', 'password'] },
  PLUGWAY_STORAGE_PLUGIN: { path: ['storage', 'plugin'] },
  PLUGWAY_NODE_ID: { path: ['cluster', 'node_id'] },
  PLUGWAY_NODE_TTL: { path: ['cluster', 'node_ttl'] },
  PLUGWAY_NATS_SERVERS: { path: ['cluster', 'nats', 'servers'], list: 'comma' },
  PLUGWAY_POLL_WINDOW_US: { path: ['runtimes', 'poll_window_us'] },
  PLUGWAY_ASYNC_CONTEXT: { path: ['runtimes', 'async_context'] },
  PLUGWAY_SANDBOX: { path: ['sandbox'] },
  PLUGWAY_LOG_LEVEL: { path: ['logging', 'level'] },
  PLUGWAY_LOG_TIMESTAMP: { path: ['logging', 'timestamp'] },
  PLUGWAY_TLS_CERT: { path: ['gateway', 'tls', 'cert'] },
  PLUGWAY_TLS_KEY: { path: ['gateway', 'tls', 'key'] },
  PLUGWAY_HTTP2: { path: ['gateway', 'tls', 'http2'] },
};

// ---- schema ----
const bool = { type: 'boolean' } as const;
const str = { type: 'string' } as const;
const strs = { type: 'array', items: str } as const;
const int0 = { type: 'integer', minimum: 0 } as const;
const duration = { type: ['string', 'number'], format: 'duration', minimum: 0 } as const;
const size = { type: ['string', 'number'], format: 'size', minimum: 0 } as const;
const obj = (properties: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ type: 'object', additionalProperties: false, properties, ...extra });
const breaker = obj({ failure_threshold: { type: 'integer', minimum: 1 }, open_timeout: duration, half_open_limit: { type: 'integer', minimum: 1 } });
const bulkhead = obj({ max_concurrent: { type: 'integer', minimum: 1 }, queue: int0 });

const hostConfigSchema = obj({
  plugins: obj({
    enabled: bool, directories: strs, directory: str, auto_load: bool, hot_reload: bool, reload_interval: duration,
    max_plugins: { type: 'integer', minimum: 1 }, default_timeout: duration, shutdown_timeout: duration,
    ...COVETPY_SCHEMA,
    configs: {
      type: 'object',
      propertyNames: { pattern: '^[a-z0-9]+(-[a-z0-9]+)*$' },
      additionalProperties: obj({
        enabled: bool, priority: { type: 'number' }, prefix: { type: 'string', pattern: '^/' }, config: { type: 'object' },
        dependencies: { type: 'array', items: { type: 'string', format: 'dependency' } }, roles: strs, required: bool,
        timeout: duration, circuit_breaker: breaker, bulkhead, flags: { type: 'object', additionalProperties: bool },
        listen: obj({ port: { type: 'integer', minimum: 0, maximum: 65535 }, host: str }),
      }),
    },
  }),
  gateway: obj({
    host: str, port: { type: 'integer', minimum: 0, maximum: 65535 }, body_limit: size, trust_proxy: bool, auth: obj({ plugin: str }),
    rate_limit: obj({ store: { enum: ['memory', 'redis'] }, redis_url: str, key_prefix: str }),
    websocket: obj({ max_buffered_bytes: size }),
    circuit_breaker: breaker, bulkhead, admin: obj({ enabled: bool, token: str, allowed_hosts: strs }), max_response_bytes: size,
    headers_timeout: duration, request_timeout: duration, body_timeout: duration, max_connections: { type: 'integer', minimum: 1 },
    max_connections_per_ip: { type: 'integer', minimum: 1 }, max_header_size: size, sandbox_plugin_responses: bool,
    metrics: obj({ token: str, port: { type: 'integer', minimum: 0, maximum: 65535 }, host: str }),
    tls: obj({ cert: str, key: str, http2: bool }),
  }),
  state: obj({ dir: str, store: { enum: ['file', 'etcd'] }, etcd: obj({ endpoints: strs, prefix: str, username: str, password: str, tls: obj({ ca: str, cert: str, key: str }) }), keep_versions: { type: 'integer', minimum: 1 } }),
  reload: obj({ watch_window: duration, error_rate_threshold: { type: 'number', minimum: 0, maximum: 1 }, min_calls: int0, drain_timeout: duration }),
  runtimes: obj({
    poll_window_us: { type: 'integer', minimum: 0, maximum: 100_000 }, async_context: bool,
    fetch: obj({ allowed_hosts: strs, max_response_bytes: size, timeout: duration }),
  }),
  storage: obj({ plugin: { type: 'string', pattern: '^[a-z0-9]+(-[a-z0-9]+)*$' } }),
  cluster: obj({
    node_id: { type: 'string', pattern: '^[A-Za-z0-9._-]{1,128}$' }, node_ttl: duration, address: str,
    nats: obj({ servers: strs, user: str, pass: str, token: str, buffer: { type: 'integer', minimum: 0 }, tls: obj({ ca: str, cert: str, key: str }) }),
  }),
  logging: obj({ level: { enum: ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] }, redact: strs, timestamp: bool }),
  trusted_keys: strs,
  routes: { type: 'array', items: CONFIG_ROUTE_SCHEMA },
  alerts: alertsSchema,
  sandbox: bool,
});

const SIZE_UNITS: Record<string, number> = { b: 1, kb: 1000, mb: 1e6, gb: 1e9, k: 1024, kib: 1024, m: MiB, mib: MiB, g: 1024 * MiB, gib: 1024 * MiB };

/** Bytes from 1048576, "1MiB", "512kb", "10 MB" (KB/MB are powers of 1000, KiB/MiB and K/M of 1024). */
export function toBytes(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) && v >= 0 ? Math.floor(v) : undefined;
  if (typeof v !== 'string') return undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(v);
  const unit = m ? SIZE_UNITS[(m[2] || 'b').toLowerCase()] : undefined;
  return m && unit ? Math.floor(Number(m[1]) * unit) : undefined;
}

let validator: ReturnType<ReturnType<typeof createAjv>['compile']> | undefined;
function validateHostConfig() {
  if (!validator) {
    const ajv = createAjv({ verbose: true, strict: false, coerceTypes: true });
    ajv.addFormat('duration', { type: 'string', validate: isDuration });
    ajv.addFormat('size', { type: 'string', validate: (s: string) => toBytes(s) !== undefined });
    ajv.addFormat('rate-limit', { type: 'string', validate: (s: string) => tryParseRateLimit(s) !== undefined });
    ajv.addFormat('dependency', { type: 'string', validate: (s: string) => splitDependencyString(s).problem === undefined });
    validator = ajv.compile(hostConfigSchema);
  }
  return validator;
}

// ---- merge, interpolation, env ----
type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Where each leaf came from, for error messages: "file", "env:PLUGWAY_PORT", "override". */
type Origins = Map<string, string>;

function merge(target: Obj, source: unknown, origin: string, origins: Origins, path: PathSegment[] = []): void {
  if (!isObj(source)) return;
  for (const [k, v] of Object.entries(source)) {
    if (v === undefined) continue;
    const p = [...path, k];
    if (isObj(v) && isObj(target[k])) merge(target[k] as Obj, v, origin, origins, p);
    else {
      target[k] = isObj(v) ? structuredClone(v) : Array.isArray(v) ? [...v] : v;
      origins.set(formatPath(p), origin);
      if (isObj(v)) markAll(v, origin, origins, p);
    }
  }
}

function markAll(v: Obj, origin: string, origins: Origins, path: PathSegment[]): void {
  for (const [k, x] of Object.entries(v)) {
    origins.set(formatPath([...path, k]), origin);
    if (isObj(x)) markAll(x, origin, origins, [...path, k]);
  }
}

interface Problem { code: ErrorCode; path: PathSegment[]; params: Record<string, string> }

const VAR = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/** Replaces ${VAR} and ${VAR:-default} in every string of `v` ("$${" writes a literal "${"). */
function interpolate(v: unknown, env: NodeJS.ProcessEnv, path: PathSegment[], problems: Problem[]): unknown {
  if (typeof v === 'string') {
    return v.replace(VAR, (whole, name: string | undefined, fallback: string | undefined) => {
      if (name === undefined) return '${';
      const value = env[name];
      if (fallback !== undefined) return value === undefined || value === '' ? fallback : value;
      if (value === undefined) {
        problems.push({ code: 'PLW_ERR_CONFIG_ENV_MISSING', path, params: { name } });
        return whole;
      }
      return value;
    });
  }
  if (Array.isArray(v)) return v.map((x, i) => interpolate(x, env, [...path, i], problems));
  if (isObj(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, interpolate(x, env, [...path, k], problems)]));
  return v;
}

function fromEnv(env: NodeJS.ProcessEnv): Obj {
  const out: Obj = {};
  for (const [name, { path, list }] of Object.entries(ENV_MAPPING)) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    let node = out;
    for (const seg of path.slice(0, -1)) node = (node[seg] ??= {}) as Obj;
    const sep = list === 'comma' ? /,/ : new RegExp(`[,${delimiter === ';' ? ';' : ':'}]`);
    node[path[path.length - 1]!] = list ? raw.split(sep).map((s) => s.trim()).filter(Boolean) : raw;
  }
  // a Redis URL alone means "use Redis" unless the store is named explicitly
  if (env.PLUGWAY_RATE_LIMIT_REDIS_URL && !env.PLUGWAY_RATE_LIMIT_STORE) ((out.gateway as Obj).rate_limit as Obj).store = 'redis';
  return out;
}

/** The origin of a key or of its nearest ancestor that has one. */
function originOf(origins: Origins, path: PathSegment[]): string | undefined {
  for (let n = path.length; n > 0; n--) {
    const o = origins.get(formatPath(path.slice(0, n)));
    if (o) return o;
  }
  return undefined;
}

// ---- errors ----
function describe(e: ErrorObject): { path: PathSegment[]; reason: string } {
  const path = pointerToPath(e.instancePath);
  const ps = (e.parentSchema ?? {}) as { properties?: Obj; format?: string };
  switch (e.keyword) {
    case 'additionalProperties': {
      const field = String((e.params as { additionalProperty: string }).additionalProperty);
      const known = Object.keys(ps.properties ?? {});
      return { path: [...path, field], reason: `unknown key "${field}"${didYouMean(field, known) || `; known keys: ${known.join(', ')}`}` };
    }
    case 'propertyNames':
      return { path, reason: `plugin ids are kebab-case (e.g. "my-plugin")` };
    case 'enum':
      return { path, reason: `"${String(e.data)}" is not allowed; expected one of ${((e.params as { allowedValues: unknown[] }).allowedValues ?? []).join(', ')}` };
    case 'format': {
      const f = (e.params as { format: string }).format;
      const want = f === 'duration' ? 'a duration (500ms, 30s, 1m or ms)' : f === 'size' ? 'a size (bytes, 512kb, 1MiB)' : f === 'rate-limit' ? 'a rate limit (N/s, N/min or N/h, e.g. 100/min)' : 'a dependency like "other-plugin >= 1.0.0"';
      return { path, reason: `"${String(e.data)}" is not ${want}` };
    }
    case 'type':
      return { path, reason: `expected ${String((e.params as { type: unknown }).type).replace(/,/g, ' or ')}, got ${JSON.stringify(e.data)}` };
    default:
      return { path, reason: `${e.message ?? 'is invalid'} (got ${JSON.stringify(e.data)})` };
  }
}

function fail(problems: Problem[], file: string | undefined, src: YamlSource | undefined, origins: Origins): never {
  const rendered = problems.map((p) => {
    const key = formatPath(p.path);
    const origin = p.code === 'PLW_ERR_CONFIG_ENV_MISSING' ? 'file' : (originOf(origins, p.path) ?? 'default');
    let where: string;
    if (origin === 'file' && file) {
      const at = src ? locate(src, p.path, p.params.reason?.startsWith('unknown key') ? 'key' : 'value') : { line: 1, col: 1 };
      where = `${file}:${at.line}:${at.col}`;
    } else if (origin.startsWith('env:')) where = `environment ${origin.slice(4)}`;
    else where = origin === 'override' ? 'command-line flags' : (file ?? 'defaults');
    return PlugwayError.rebuilt(p.code, { file: where, path: key, ...p.params });
  });
  const first = rendered[0]!;
  if (rendered.length > 1) (first as { message: string }).message = `${rendered.length} problems in the host config:\n  ${rendered.map((r) => `${r.code} ${r.message}`).join('\n  ')}`;
  Object.defineProperty(first, 'problems', { value: rendered, enumerable: false });
  throw first;
}

// ---- normalize ----
function breakerOf(b: Partial<RawBreaker> | undefined): Partial<HostConfig['gateway']['circuitBreaker']> {
  const out: Partial<HostConfig['gateway']['circuitBreaker']> = {};
  if (b?.failure_threshold !== undefined) out.failureThreshold = b.failure_threshold;
  if (b?.open_timeout !== undefined) out.openTimeoutMs = toDurationMs(b.open_timeout)!;
  if (b?.half_open_limit !== undefined) out.halfOpenLimit = b.half_open_limit;
  return out;
}

function bulkheadOf(b: Partial<RawBulkhead> | undefined): Partial<HostConfig['gateway']['bulkhead']> {
  const out: Partial<HostConfig['gateway']['bulkhead']> = {};
  if (b?.max_concurrent !== undefined) out.maxConcurrent = b.max_concurrent;
  if (b?.queue !== undefined) out.queue = b.queue;
  return out;
}

function normalize(raw: RawHostConfig, file: string | undefined, cwd: string, origins: Origins): HostConfig {
  const fileDir = file ? dirname(file) : cwd;
  const base = (key: string) => (origins.get(key) === 'file' ? fileDir : cwd);
  const dirs = [...raw.plugins.directories.map((d) => resolve(base('plugins.directories'), expandHome(d)))];
  for (const d of raw.plugins.plugin_paths ?? []) dirs.push(resolve(base('plugins.plugin_paths'), expandHome(d)));
  // the seed's single `directory` joins `directories` from the same layer; a higher layer (env, flags) replaces both
  const rank = (key: string) => ['file', 'env', 'override'].indexOf((origins.get(key) ?? '').replace(/^env:.*/, 'env'));
  if (raw.plugins.directory && rank('plugins.directory') >= rank('plugins.directories')) dirs.push(resolve(base('plugins.directory'), expandHome(raw.plugins.directory)));
  const configs: Record<string, PluginOverrides> = {};
  for (const [id, c] of Object.entries(raw.plugins.configs)) {
    const o: PluginOverrides = {
      enabled: c.enabled ?? true, config: c.config ?? {}, dependencies: c.dependencies ?? [], roles: c.roles ?? [],
      required: c.required ?? true, flags: c.flags ?? {},
    };
    if (c.priority !== undefined) o.priority = c.priority;
    if (c.prefix !== undefined) o.prefix = c.prefix;
    if (c.timeout !== undefined) o.timeoutMs = toDurationMs(c.timeout)!;
    if (c.circuit_breaker) o.circuitBreaker = breakerOf(c.circuit_breaker);
    if (c.bulkhead) o.bulkhead = bulkheadOf(c.bulkhead);
    if (c.listen) o.listen = { ...c.listen };
    configs[id] = o;
  }
  const g = raw.gateway;
  const cfg: HostConfig = {
    plugins: {
      enabled: raw.plugins.enabled, directories: [...new Set(dirs)], autoLoad: raw.plugins.auto_load,
      hotReload: hotReloadOf(raw.plugins.hot_reload, raw.plugins.reload_on_change, origins.has('plugins.hot_reload')),
      ...covetOf(raw.plugins),
      reloadIntervalMs: toDurationMs(raw.plugins.reload_interval)!, maxPlugins: raw.plugins.max_plugins,
      defaultTimeoutMs: toDurationMs(raw.plugins.default_timeout)!, shutdownTimeoutMs: toDurationMs(raw.plugins.shutdown_timeout)!, configs,
    },
    gateway: {
      host: g.host, port: g.port, bodyLimit: toBytes(g.body_limit)!, trustProxy: g.trust_proxy,
      auth: g.auth.plugin ? { plugin: g.auth.plugin } : {},
      rateLimit: { store: g.rate_limit.store, keyPrefix: g.rate_limit.key_prefix, ...(g.rate_limit.redis_url ? { redisUrl: g.rate_limit.redis_url } : {}) },
      circuitBreaker: breakerOf(g.circuit_breaker) as HostConfig['gateway']['circuitBreaker'],
      bulkhead: bulkheadOf(g.bulkhead) as HostConfig['gateway']['bulkhead'],
      admin: { enabled: g.admin.enabled, allowedHosts: g.admin.allowed_hosts ?? [], ...(g.admin.token ? { token: g.admin.token } : {}) },
      maxResponseBytes: toBytes(g.max_response_bytes)!,
      websocket: { maxBufferedBytes: toBytes(g.websocket.max_buffered_bytes)! },
      limits: {
        headersTimeoutMs: toDurationMs(g.headers_timeout)!, requestTimeoutMs: toDurationMs(g.request_timeout)!,
        bodyIdleTimeoutMs: toDurationMs(g.body_timeout)!, maxConnections: g.max_connections, maxConnectionsPerIp: g.max_connections_per_ip,
        maxHeaderBytes: toBytes(g.max_header_size)!,
      },
      sandboxPluginResponses: g.sandbox_plugin_responses,
      metrics: {
        ...(g.metrics.token ? { token: g.metrics.token } : {}),
        ...(g.metrics.port !== undefined ? { port: g.metrics.port } : {}),
        ...(g.metrics.host ? { host: g.metrics.host } : {}),
      },
      ...tlsOf(g.tls, base),
    },
    state: { dir: resolve(base('state.dir'), raw.state.dir), store: raw.state.store, etcd: { ...raw.state.etcd }, keepVersions: raw.state.keep_versions },
    reload: {
      watchWindowMs: toDurationMs(raw.reload.watch_window)!, errorRateThreshold: raw.reload.error_rate_threshold,
      minCalls: raw.reload.min_calls, drainTimeoutMs: toDurationMs(raw.reload.drain_timeout)!,
    },
    runtimes: {
      pollWindowUs: raw.runtimes.poll_window_us, asyncContext: raw.runtimes.async_context,
      fetch: {
        allowedHosts: raw.runtimes.fetch.allowed_hosts, maxResponseBytes: toBytes(raw.runtimes.fetch.max_response_bytes)!,
        timeoutMs: toDurationMs(raw.runtimes.fetch.timeout)!,
      },
    },
    storage: raw.storage.plugin ? { plugin: raw.storage.plugin } : {},
    cluster: {
      ...(raw.cluster.node_id ? { nodeId: raw.cluster.node_id } : {}),
      ...(raw.cluster.address ? { address: raw.cluster.address } : {}),
      nodeTtlS: Math.max(1, Math.round(toDurationMs(raw.cluster.node_ttl)! / 1000)),
      nats: {
        servers: raw.cluster.nats.servers,
        ...(raw.cluster.nats.user ? { user: raw.cluster.nats.user, pass: raw.cluster.nats.pass ?? '' } : {}),
        ...(raw.cluster.nats.token ? { token: raw.cluster.nats.token } : {}),
        ...(raw.cluster.nats.tls ? { tls: { ...raw.cluster.nats.tls } } : {}),
        buffer: raw.cluster.nats.buffer,
      },
    },
    logging: { level: raw.logging.level, redact: raw.logging.redact, timestamp: raw.logging.timestamp },
    trustedKeys: raw.trusted_keys,
    routes: routesFromRaw(raw.routes ?? []),
    alerts: alertsConfigOf(raw.alerts),
    sandbox: raw.sandbox,
  };
  if (file) cfg.file = file;
  return cfg;
}

/** CovetPy's dependency, sandbox and limit keys, when written. */
function covetOf(p: RawHostConfig['plugins']): Partial<HostConfig['plugins']> {
  const out: Partial<HostConfig['plugins']> = {};
  if (p.auto_resolve_dependencies !== undefined) out.autoResolveDependencies = p.auto_resolve_dependencies;
  if (p.allow_circular_dependencies !== undefined) out.allowCircularDependencies = p.allow_circular_dependencies;
  if (p.sandbox_enabled !== undefined) out.sandboxEnabled = p.sandbox_enabled;
  const mb = memoryLimitMb(p.memory_limit);
  if (mb !== undefined) out.memoryLimitMb = mb;
  if (p.cpu_limit !== undefined) out.cpuLimit = p.cpu_limit;
  return out;
}

/** gateway.tls with its files resolved (both or neither: checked in loadHostConfig). */
function tlsOf(t: RawHostConfig['gateway']['tls'], base: (key: string) => string): Pick<HostConfig['gateway'], 'tls'> {
  if (!t?.cert || !t.key) return {};
  return { tls: { cert: resolve(base('gateway.tls.cert'), t.cert), key: resolve(base('gateway.tls.key'), t.key), http2: t.http2 === true } };
}

/** plugway's defaults as a HostConfig (relative paths against the current folder). */
export function defaultHostConfig(): HostConfig {
  return normalize(structuredClone(DEFAULTS), undefined, process.cwd(), new Map());
}

/**
 * Reads, merges, interpolates and validates the host config. Throws PLW_ERR_CONFIG_INVALID,
 * PLW_ERR_CONFIG_ENV_MISSING (file:line:col and key path in the message; all problems listed) or
 * PLW_ERR_MANIFEST_NOT_FOUND-like read errors as PLW_ERR_CONFIG_INVALID.
 */
export async function loadHostConfig(options: LoadHostConfigOptions = {}): Promise<HostConfig> {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const fileOpt = options.file ?? (env.PLUGWAY_CONFIG || undefined);
  const file = fileOpt === undefined ? undefined : resolve(cwd, fileOpt);
  const origins: Origins = new Map();
  const merged = structuredClone(DEFAULTS) as unknown as Obj;
  const problems: Problem[] = [];
  let src: YamlSource | undefined;

  if (file) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      throw new PlugwayError('PLW_ERR_CONFIG_INVALID', { file, path: '(file)', reason: existsSync(file) ? `cannot read it: ${(err as Error).message}` : 'no such file' });
    }
    src = parseYamlSource(text);
    for (const e of src.syntaxErrors) throw new PlugwayError('PLW_ERR_CONFIG_INVALID', { file: `${file}:${e.line}:${e.col}`, path: '(yaml)', reason: e.message });
    for (const d of src.duplicates) problems.push({ code: 'PLW_ERR_CONFIG_INVALID', path: d.path, params: { reason: `duplicate key "${d.key}": keep only one` } });
    const value = src.value ?? {};
    if (!isObj(value)) throw new PlugwayError('PLW_ERR_CONFIG_INVALID', { file, path: '(root)', reason: 'expected a mapping of sections (plugins, gateway, state, …)' });
    merge(merged, interpolate(liftCovetKeys(value), env, [], problems), 'file', origins);
  }
  const envLayer = fromEnv(env);
  for (const [name, m] of Object.entries(ENV_MAPPING)) if (env[name]) origins.set(formatPath(m.path), `env:${name}`);
  merge(merged, envLayer, 'env', new Map());
  if (envLayer.gateway && isObj((envLayer.gateway as Obj).rate_limit) && ((envLayer.gateway as Obj).rate_limit as Obj).store && !env.PLUGWAY_RATE_LIMIT_STORE) {
    origins.set('gateway.rate_limit.store', 'env:PLUGWAY_RATE_LIMIT_REDIS_URL');
  }
  merge(merged, options.overrides, 'override', origins);

  const validate = validateHostConfig();
  if (!validate(merged)) {
    const errs = validate.errors ?? [];
    const typed = new Set(errs.filter((e) => e.keyword === 'type').map((e) => e.instancePath));
    for (const e of errs) {
      if (e.keyword !== 'type' && typed.has(e.instancePath)) continue;
      const d = describe(e);
      problems.push({ code: 'PLW_ERR_CONFIG_INVALID', path: d.path, params: { reason: d.reason } });
    }
  }
  const tls = (merged.gateway as Obj).tls as Obj | undefined;
  if (tls && (tls.cert || tls.key) && !(tls.cert && tls.key)) {
    problems.push({ code: 'PLW_ERR_CONFIG_INVALID', path: ['gateway', 'tls', tls.cert ? 'key' : 'cert'], params: { reason: 'gateway.tls needs both cert and key (PEM files)' } });
  }
  if (problems.length) fail(problems, file, src, origins);
  return normalize(merged as unknown as RawHostConfig, file, cwd, origins);
}

