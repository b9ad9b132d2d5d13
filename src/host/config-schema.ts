// plugway.yaml's raw shape, its defaults, the PLUGWAY_* environment mapping and the one JSON Schema
// the merged result is checked against (config.ts merges, interpolates, validates and normalizes).
import { createAjv } from '../manifest/ajv.js';
import { splitDependencyString } from '../manifest/dependency.js';
import { isDuration } from '../manifest/duration.js';
import { tryParseRateLimit } from '../manifest/rate-limit.js';
import { DEFAULT_POLL_US } from '../runtimes/types.js';
import { CONFIG_ROUTE_SCHEMA } from './config-routes.js';
import { alertsSchema, RAW_ALERT_DEFAULTS, type RawAlerts } from './config-alerts.js';
import { COVETPY_SCHEMA } from './seed-config.js';
import type { HostConfig } from './config-types.js';

export type DeepPartial<T> = T extends unknown[] ? T : T extends object ? { [K in keyof T]?: DeepPartial<T[K]> } : T;
export type Duration = string | number;
export type Size = string | number;
export interface RawBreaker {
  failure_threshold: number;
  open_timeout: Duration;
  half_open_limit: number;
}
export interface RawBulkhead {
  max_concurrent: number;
  queue: number;
}

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
    plugin_paths?: string[];
    reload_on_change?: boolean;
    auto_resolve_dependencies?: boolean;
    allow_circular_dependencies?: boolean;
    sandbox_enabled?: boolean;
    memory_limit?: Size;
    cpu_limit?: number;
    configs: Record<
      string,
      {
        enabled: boolean;
        priority: number;
        prefix: string;
        config: Record<string, unknown>;
        dependencies: string[];
        roles: string[];
        required: boolean;
        timeout: Duration;
        circuit_breaker: Partial<RawBreaker>;
        bulkhead: Partial<RawBulkhead>;
        flags: Record<string, boolean>;
        listen: { port?: number; host?: string };
      }
    >;
  };
  gateway: {
    host: string;
    port: number;
    body_limit: Size;
    trust_proxy: boolean;
    auth: { plugin: string };
    rate_limit: { store: 'memory' | 'redis'; redis_url: string; key_prefix: string };
    websocket: { max_buffered_bytes: Size };
    circuit_breaker: RawBreaker;
    bulkhead: RawBulkhead;
    admin: { enabled: boolean; token: string; allowed_hosts: string[] };
    max_response_bytes: Size;
    headers_timeout: Duration;
    request_timeout: Duration;
    body_timeout: Duration;
    max_connections: number;
    max_connections_per_ip: number;
    max_header_size: Size;
    sandbox_plugin_responses: boolean;
    metrics: { token: string; port: number; host: string };
    tls?: { cert?: string; key?: string; http2?: boolean };
  };
  state: {
    dir: string;
    store: 'file' | 'etcd';
    etcd: { endpoints: string[]; prefix: string; username?: string; password?: string; tls?: { ca?: string; cert?: string; key?: string } };
    keep_versions: number;
  };
  reload: { watch_window: Duration; error_rate_threshold: number; min_calls: number; drain_timeout: Duration };
  runtimes: { poll_window_us: number; async_context: boolean; fetch: { allowed_hosts: string[]; max_response_bytes: Size; timeout: Duration } };
  storage: { plugin: string };
  alerts: RawAlerts;
  cluster: {
    node_id: string;
    node_ttl: Duration;
    address: string;
    nats: { servers: string[]; user: string; pass: string; token: string; buffer: number; tls: { ca: string; cert: string; key: string } };
  };
  logging: { level: HostConfig['logging']['level']; redact: string[]; timestamp: boolean };
  trusted_keys: string[];
  /** Plain proxy routes (config-routes.ts). */
  routes: unknown[];
  /** Process plugins run under bubblewrap; false runs them unsandboxed (a warning at every start). */
  sandbox: boolean;
}

export const MiB = 1024 * 1024;

export const DEFAULTS: RawHostConfig = {
  plugins: {
    enabled: true,
    directories: [],
    directory: '',
    auto_load: true,
    hot_reload: false,
    reload_interval: '300ms',
    max_plugins: 1000,
    default_timeout: '30s',
    shutdown_timeout: '10s',
    configs: {},
  },
  gateway: {
    host: '127.0.0.1',
    port: 8080,
    body_limit: MiB,
    trust_proxy: false,
    auth: {} as RawHostConfig['gateway']['auth'],
    rate_limit: { store: 'memory', key_prefix: 'plw' } as RawHostConfig['gateway']['rate_limit'],
    circuit_breaker: { failure_threshold: 5, open_timeout: '30s', half_open_limit: 1 },
    websocket: { max_buffered_bytes: MiB },
    bulkhead: { max_concurrent: 64, queue: 0 },
    admin: { enabled: true, allowed_hosts: [] } as unknown as RawHostConfig['gateway']['admin'],
    max_response_bytes: 10 * MiB,
    // docs/security.md: what each limit defends.
    headers_timeout: '10s',
    request_timeout: '30s',
    body_timeout: '10s',
    max_connections: 10_000,
    max_connections_per_ip: 256,
    max_header_size: 16 * 1024,
    sandbox_plugin_responses: true,
    metrics: {} as RawHostConfig['gateway']['metrics'],
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
    enabled: bool,
    directories: strs,
    directory: str,
    auto_load: bool,
    hot_reload: bool,
    reload_interval: duration,
    max_plugins: { type: 'integer', minimum: 1 },
    default_timeout: duration,
    shutdown_timeout: duration,
    ...COVETPY_SCHEMA,
    configs: {
      type: 'object',
      propertyNames: { pattern: '^[a-z0-9]+(-[a-z0-9]+)*$' },
      additionalProperties: obj({
        enabled: bool,
        priority: { type: 'number' },
        prefix: { type: 'string', pattern: '^/' },
        config: { type: 'object' },
        dependencies: { type: 'array', items: { type: 'string', format: 'dependency' } },
        roles: strs,
        required: bool,
        timeout: duration,
        circuit_breaker: breaker,
        bulkhead,
        flags: { type: 'object', additionalProperties: bool },
        listen: obj({ port: { type: 'integer', minimum: 0, maximum: 65535 }, host: str }),
      }),
    },
  }),
  gateway: obj({
    host: str,
    port: { type: 'integer', minimum: 0, maximum: 65535 },
    body_limit: size,
    trust_proxy: bool,
    auth: obj({ plugin: str }),
    rate_limit: obj({ store: { enum: ['memory', 'redis'] }, redis_url: str, key_prefix: str }),
    websocket: obj({ max_buffered_bytes: size }),
    circuit_breaker: breaker,
    bulkhead,
    admin: obj({ enabled: bool, token: str, allowed_hosts: strs }),
    max_response_bytes: size,
    headers_timeout: duration,
    request_timeout: duration,
    body_timeout: duration,
    max_connections: { type: 'integer', minimum: 1 },
    max_connections_per_ip: { type: 'integer', minimum: 1 },
    max_header_size: size,
    sandbox_plugin_responses: bool,
    metrics: obj({ token: str, port: { type: 'integer', minimum: 0, maximum: 65535 }, host: str }),
    tls: obj({ cert: str, key: str, http2: bool }),
  }),
  state: obj({
    dir: str,
    store: { enum: ['file', 'etcd'] },
    etcd: obj({ endpoints: strs, prefix: str, username: str, password: str, tls: obj({ ca: str, cert: str, key: str }) }),
    keep_versions: { type: 'integer', minimum: 1 },
  }),
  reload: obj({ watch_window: duration, error_rate_threshold: { type: 'number', minimum: 0, maximum: 1 }, min_calls: int0, drain_timeout: duration }),
  runtimes: obj({
    poll_window_us: { type: 'integer', minimum: 0, maximum: 100_000 },
    async_context: bool,
    fetch: obj({ allowed_hosts: strs, max_response_bytes: size, timeout: duration }),
  }),
  storage: obj({ plugin: { type: 'string', pattern: '^[a-z0-9]+(-[a-z0-9]+)*$' } }),
  cluster: obj({
    node_id: { type: 'string', pattern: '^[A-Za-z0-9._-]{1,128}$' },
    node_ttl: duration,
    address: str,
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
export function validateHostConfig() {
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
