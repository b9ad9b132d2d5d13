// plugway.yaml: defaults < file < PLUGWAY_* environment < overrides (CLI flags), `${VAR}` and
// `${VAR:-default}` interpolation, one JSON Schema over the merged result, then the HostConfig.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { delimiter, dirname, resolve } from 'node:path';
import type { ErrorObject } from 'ajv';
import { PlugwayError, type ErrorCode } from '../errors.js';
import { toDurationMs } from '../manifest/duration.js';
import { didYouMean } from '../manifest/suggest.js';
import { formatPath, locate, parseYamlSource, pointerToPath, type PathSegment, type YamlSource } from '../manifest/yaml-source.js';
import type { HostConfig, PluginOverrides } from './config-types.js';
import { routesFromRaw } from './config-routes.js';
import { alertsConfigOf } from './config-alerts.js';
import { expandHome, hotReloadOf, liftCovetKeys, memoryLimitMb } from './seed-config.js';

import { DEFAULTS, ENV_MAPPING, toBytes, validateHostConfig, type DeepPartial, type RawBreaker, type RawBulkhead, type RawHostConfig } from './config-schema.js';
export { ENV_MAPPING, toBytes, type DeepPartial, type RawHostConfig } from './config-schema.js';

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

interface Problem {
  code: ErrorCode;
  path: PathSegment[];
  params: Record<string, string>;
}

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
    node[path[path.length - 1]!] = list
      ? raw
          .split(sep)
          .map((s) => s.trim())
          .filter(Boolean)
      : raw;
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
      const want =
        f === 'duration'
          ? 'a duration (500ms, 30s, 1m or ms)'
          : f === 'size'
            ? 'a size (bytes, 512kb, 1MiB)'
            : f === 'rate-limit'
              ? 'a rate limit (N/s, N/min or N/h, e.g. 100/min)'
              : 'a dependency like "other-plugin >= 1.0.0"';
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
      enabled: c.enabled ?? true,
      config: c.config ?? {},
      dependencies: c.dependencies ?? [],
      roles: c.roles ?? [],
      required: c.required ?? true,
      flags: c.flags ?? {},
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
      enabled: raw.plugins.enabled,
      directories: [...new Set(dirs)],
      autoLoad: raw.plugins.auto_load,
      hotReload: hotReloadOf(raw.plugins.hot_reload, raw.plugins.reload_on_change, origins.has('plugins.hot_reload')),
      ...covetOf(raw.plugins),
      reloadIntervalMs: toDurationMs(raw.plugins.reload_interval)!,
      maxPlugins: raw.plugins.max_plugins,
      defaultTimeoutMs: toDurationMs(raw.plugins.default_timeout)!,
      shutdownTimeoutMs: toDurationMs(raw.plugins.shutdown_timeout)!,
      configs,
    },
    gateway: {
      host: g.host,
      port: g.port,
      bodyLimit: toBytes(g.body_limit)!,
      trustProxy: g.trust_proxy,
      auth: g.auth.plugin ? { plugin: g.auth.plugin } : {},
      rateLimit: { store: g.rate_limit.store, keyPrefix: g.rate_limit.key_prefix, ...(g.rate_limit.redis_url ? { redisUrl: g.rate_limit.redis_url } : {}) },
      circuitBreaker: breakerOf(g.circuit_breaker) as HostConfig['gateway']['circuitBreaker'],
      bulkhead: bulkheadOf(g.bulkhead) as HostConfig['gateway']['bulkhead'],
      admin: { enabled: g.admin.enabled, allowedHosts: g.admin.allowed_hosts ?? [], ...(g.admin.token ? { token: g.admin.token } : {}) },
      maxResponseBytes: toBytes(g.max_response_bytes)!,
      websocket: { maxBufferedBytes: toBytes(g.websocket.max_buffered_bytes)! },
      limits: {
        headersTimeoutMs: toDurationMs(g.headers_timeout)!,
        requestTimeoutMs: toDurationMs(g.request_timeout)!,
        bodyIdleTimeoutMs: toDurationMs(g.body_timeout)!,
        maxConnections: g.max_connections,
        maxConnectionsPerIp: g.max_connections_per_ip,
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
      watchWindowMs: toDurationMs(raw.reload.watch_window)!,
      errorRateThreshold: raw.reload.error_rate_threshold,
      minCalls: raw.reload.min_calls,
      drainTimeoutMs: toDurationMs(raw.reload.drain_timeout)!,
    },
    runtimes: {
      pollWindowUs: raw.runtimes.poll_window_us,
      asyncContext: raw.runtimes.async_context,
      fetch: {
        allowedHosts: raw.runtimes.fetch.allowed_hosts,
        maxResponseBytes: toBytes(raw.runtimes.fetch.max_response_bytes)!,
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
