// From the YAML shape (snake_case, aliases, strings) to the normalized PluginManifest, and the
// defaults for manifests built in code.
import { toDurationMs } from './duration.js';
import { normalizeRemoteSpec, remoteFromRaw } from './remote.js';
import { splitDependencyString } from './dependency.js';
import { tryParseRateLimit } from './rate-limit.js';
import { DEFAULT_PROTOCOL_LISTEN, DEFAULT_WEBSOCKET_LIMITS, type DependencySpec, type EndpointSpec, type HttpMethod, type PluginManifest } from './types.js';
import type { PluginKind, RuntimeType } from '../sdk/types.js';

/** Health checks without interval / timeout: every 30 s, 5 s each (the Veza seed's figures). */
export const DEFAULT_HEALTH_INTERVAL_MS = 30_000;
export const DEFAULT_HEALTH_TIMEOUT_MS = 5_000;

type Raw = Record<string, unknown>;

const strs = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
const obj = (v: unknown): Raw => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Raw) : {});
const optStr = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

function dependency(d: unknown): DependencySpec | undefined {
  if (typeof d === 'string') {
    const s = splitDependencyString(d);
    return { id: s.id, range: s.range, optional: false };
  }
  const o = obj(d);
  const id = optStr(o.plugin) ?? optStr(o.service);
  if (!id) return undefined;
  return { id, range: optStr(o.version) ?? '*', optional: o.optional === true };
}

function endpoint(e: unknown): EndpointSpec {
  const o = obj(e);
  const ep: EndpointSpec = {
    path: String(o.path),
    method: String(o.method ?? 'GET').toUpperCase() as HttpMethod,
    auth: (o.auth as EndpointSpec['auth']) ?? 'none',
    roles: strs(o.roles),
    permissions: strs(o.permissions),
  };
  if (typeof o.rate_limit === 'string') ep.rateLimit = tryParseRateLimit(o.rate_limit);
  if (typeof o.function === 'string') ep.function = o.function;
  if (typeof o.description === 'string') ep.description = o.description;
  const timeoutMs = toDurationMs(o.timeout);
  if (timeoutMs !== undefined) ep.timeoutMs = timeoutMs;
  if (o.protocol === 'websocket') {
    ep.protocol = 'websocket';
    ep.method = 'GET'; // an upgrade is a GET
    const d = DEFAULT_WEBSOCKET_LIMITS;
    ep.websocket = {
      maxMessageBytes: typeof o.max_message_bytes === 'number' ? o.max_message_bytes : d.maxMessageBytes,
      idleTimeoutMs: toDurationMs(o.idle_timeout) ?? d.idleTimeoutMs,
      maxConnections: typeof o.max_connections === 'number' ? o.max_connections : d.maxConnections,
    };
  }
  return ep;
}

/** Normalizes a manifest that validateRawManifest accepted. */
export function fromRaw(raw: Raw): PluginManifest {
  const runtime = obj(raw.runtime);
  const resources = obj(raw.resources);
  const permissions = obj(raw.permissions);
  const id = optStr(raw.id) ?? String(raw.name);
  const m: PluginManifest = {
    id,
    name: optStr(raw.name) ?? id,
    version: String(raw.version),
    kind: ((raw.kind ?? raw.type) as PluginKind | undefined) ?? 'handler',
    engine: optStr(raw.engine) ?? '*',
    runtime: {
      type: (runtime.type as RuntimeType | undefined) ?? 'inprocess',
      instances: typeof runtime.instances === 'number' ? runtime.instances : 1,
    },
    resources: {},
    permissions: { network: strs(permissions.network), env: strs(permissions.env), fs: strs(permissions.fs) },
    endpoints: Array.isArray(raw.endpoints) ? raw.endpoints.map(endpoint) : [],
    dependencies: [...(Array.isArray(raw.dependencies) ? raw.dependencies : []), ...(Array.isArray(raw.requires) ? raw.requires : [])]
      .map(dependency)
      .filter((d): d is DependencySpec => d !== undefined),
    capabilities: strs(raw.capabilities),
    actions: strs(raw.actions),
    featureFlags: Array.isArray(raw.feature_flags)
      ? raw.feature_flags.map((f) => {
          const o = obj(f);
          return { name: String(o.name), default: o.default === true, ...(typeof o.description === 'string' ? { description: o.description } : {}) };
        })
      : [],
  };
  for (const k of ['description', 'author', 'license', 'homepage'] as const) {
    const v = optStr(raw[k]);
    if (v !== undefined) m[k] = v;
  }
  if (typeof runtime.entry === 'string') m.runtime.entry = runtime.entry;
  if (m.runtime.type === 'remote') m.runtime.remote = remoteFromRaw(runtime);
  if (typeof resources.cpu === 'number') m.resources.cpu = resources.cpu;
  if (typeof resources.memory === 'number') m.resources.memory = resources.memory;
  if (typeof resources.disk === 'number') m.resources.disk = resources.disk;
  if (typeof resources.pids === 'number') m.resources.pids = resources.pids;
  if (Array.isArray(runtime.command)) m.runtime.command = runtime.command.map(String);
  const timeoutMs = toDurationMs(resources.timeout);
  if (timeoutMs !== undefined) m.resources.timeoutMs = timeoutMs;
  if (raw.health_check && typeof raw.health_check === 'object') {
    const h = obj(raw.health_check);
    m.healthCheck = {
      intervalMs: toDurationMs(h.interval) ?? DEFAULT_HEALTH_INTERVAL_MS,
      timeoutMs: toDurationMs(h.timeout) ?? DEFAULT_HEALTH_TIMEOUT_MS,
    };
    if (typeof h.endpoint === 'string') m.healthCheck.endpoint = h.endpoint;
  }
  if (raw.events && typeof raw.events === 'object') {
    const subs = obj(raw.events).subscribe;
    m.events = {
      subscribe: (Array.isArray(subs) ? subs : []).map((e) => (typeof e === 'string' ? { type: e, durable: false } : { type: String(obj(e).type), durable: obj(e).durable === true })),
    };
  }
  if (raw.listen && typeof raw.listen === 'object') {
    const l = obj(raw.listen);
    const d = DEFAULT_PROTOCOL_LISTEN;
    m.listen = {
      port: typeof l.port === 'number' ? l.port : 0,
      host: optStr(l.host) ?? d.host,
      maxConnections: typeof l.max_connections === 'number' ? l.max_connections : d.maxConnections,
      idleTimeoutMs: toDurationMs(l.idle_timeout) ?? d.idleTimeoutMs,
      bytesPerSecond: typeof l.bytes_per_second === 'number' ? l.bytes_per_second : d.bytesPerSecond,
      maxFrameBytes: typeof l.max_frame_bytes === 'number' ? l.max_frame_bytes : d.maxFrameBytes,
    };
  }
  if (raw.config_schema && typeof raw.config_schema === 'object') m.configSchema = raw.config_schema as Record<string, unknown>;
  if (raw.middleware && typeof raw.middleware === 'object') {
    const mw = obj(raw.middleware);
    m.middleware = { priority: typeof mw.priority === 'number' ? mw.priority : 0, routes: strs(mw.routes) };
  } else if (m.kind === 'middleware') {
    m.middleware = { priority: 0, routes: [] };
  }
  return m;
}

/**
 * A complete manifest from a partial one, for plugins registered in code: kind "handler",
 * runtime inprocess, version "0.0.0", engine "*", empty lists. Nothing is validated here.
 */
export function normalizeManifest(input: Partial<PluginManifest> & { id: string }): PluginManifest {
  const m: PluginManifest = {
    ...input,
    id: input.id,
    name: input.name ?? input.id,
    version: input.version ?? '0.0.0',
    kind: input.kind ?? 'handler',
    engine: input.engine ?? '*',
    runtime: { type: input.runtime?.type ?? 'inprocess', instances: input.runtime?.instances ?? 1 },
    resources: { ...(input.resources ?? {}) },
    permissions: {
      network: input.permissions?.network ?? [],
      env: input.permissions?.env ?? [],
      fs: input.permissions?.fs ?? [],
    },
    endpoints: (input.endpoints ?? []).map((e) => ({
      ...e,
      ...(e.protocol === 'websocket' ? { websocket: { ...DEFAULT_WEBSOCKET_LIMITS, ...e.websocket } } : {}),
      method: (e.protocol === 'websocket' ? 'GET' : (e.method ?? 'GET').toUpperCase()) as HttpMethod,
      auth: e.auth ?? 'none',
      roles: e.roles ?? [],
      permissions: e.permissions ?? [],
    })),
    dependencies: (input.dependencies ?? []).map((d) => ({ id: d.id, range: d.range ?? '*', optional: d.optional ?? false })),
    capabilities: input.capabilities ?? [],
    actions: input.actions ?? [],
    featureFlags: (input.featureFlags ?? []).map((f) => ({ ...f, default: f.default ?? false })),
  };
  if (input.runtime?.entry !== undefined) m.runtime.entry = input.runtime.entry;
  if (m.runtime.type === 'remote') m.runtime.remote = normalizeRemoteSpec(input.runtime?.remote);
  if (input.runtime?.command !== undefined) m.runtime.command = [...input.runtime.command];
  if (input.healthCheck) {
    m.healthCheck = {
      ...input.healthCheck,
      intervalMs: input.healthCheck.intervalMs ?? DEFAULT_HEALTH_INTERVAL_MS,
      timeoutMs: input.healthCheck.timeoutMs ?? DEFAULT_HEALTH_TIMEOUT_MS,
    };
  }
  if (input.middleware || m.kind === 'middleware') {
    m.middleware = { priority: input.middleware?.priority ?? 0, routes: input.middleware?.routes ?? [] };
  }
  return m;
}
