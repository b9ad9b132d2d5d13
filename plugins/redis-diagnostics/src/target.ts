// Turns a DiagnosticTarget (redis://, rediss://, redis+sentinel://, redis+cluster://, host:port,
// plus options) into a connection plan, and opens it with ioredis.
import { Redis, Cluster, type RedisOptions } from 'ioredis';
import { DiagnosticsError, badTargetError, connectError, errorReason, targetOf, type DiagnosticTarget } from 'plugway/sdk';

export type RedisMode = 'standalone' | 'sentinel' | 'cluster';
export interface HostPort {
  host: string;
  port: number;
}

export interface ConnectionPlan {
  mode: RedisMode;
  /** Standalone server, or the seed nodes of a cluster, or the sentinels. */
  endpoints: HostPort[];
  /** Sentinel master name. */
  name?: string;
  base: RedisOptions;
  /** Printable target without credentials. */
  label: string;
}

function hostPort(s: string, defPort: number): HostPort {
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(s) ?? /^([^:]+)(?::(\d+))?$/.exec(s);
  if (!m || !m[1]) throw new Error(`"${s}" is not host:port`);
  const port = m[2] ? Number(m[2]) : defPort;
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new Error(`port of "${s}" is not 1-65535`);
  return { host: m[1], port };
}

function endpointList(v: unknown, defPort: number): HostPort[] {
  if (!Array.isArray(v)) return [];
  return v.map((e) => (typeof e === 'string' ? hostPort(e, defPort) : { host: String((e as HostPort).host), port: Number((e as HostPort).port ?? defPort) }));
}

export function planConnection(target: DiagnosticTarget | string, timeoutMs: number): ConnectionPlan {
  const t = targetOf(target);
  const raw = String(t.url ?? '').trim();
  const opts = t.options ?? {};
  const bad = (reason: string) => badTargetError('redis', raw, reason);
  if (!raw && !Array.isArray(opts.sentinels) && !Array.isArray(opts.nodes)) throw bad('give a URL such as redis://host:6379 or host:port');
  let mode: RedisMode = (opts.mode as RedisMode | undefined) ?? 'standalone';
  if (!['standalone', 'sentinel', 'cluster'].includes(mode)) throw bad(`options.mode must be standalone, sentinel or cluster, not "${mode}"`);
  let username = t.username;
  let password = t.password;
  let tls = t.tls;
  let db = typeof opts.db === 'number' ? opts.db : undefined;
  let name = typeof opts.name === 'string' ? opts.name : undefined;
  let endpoints: HostPort[] = [];
  try {
    if (raw.includes('://')) {
      const scheme = raw.slice(0, raw.indexOf('://')).toLowerCase();
      // URL() cannot parse comma-separated hosts, so split the authority by hand.
      const rest = raw.slice(raw.indexOf('://') + 3);
      const slash = rest.indexOf('/');
      let authority = slash >= 0 ? rest.slice(0, slash) : rest;
      const path = slash >= 0 ? rest.slice(slash + 1) : '';
      const at = authority.lastIndexOf('@');
      if (at >= 0) {
        const cred = authority.slice(0, at);
        authority = authority.slice(at + 1);
        const c = cred.indexOf(':');
        const u = decodeURIComponent(c >= 0 ? cred.slice(0, c) : cred);
        if (u) username ??= u;
        if (c >= 0) password ??= decodeURIComponent(cred.slice(c + 1));
      }
      if (scheme === 'rediss') tls ??= true;
      else if (scheme === 'redis+sentinel' || scheme === 'rediss+sentinel') {
        mode = 'sentinel';
        if (scheme.startsWith('rediss')) tls ??= true;
      } else if (scheme === 'redis+cluster' || scheme === 'rediss+cluster') {
        mode = 'cluster';
        if (scheme.startsWith('rediss')) tls ??= true;
      } else if (scheme !== 'redis') throw new Error(`unknown scheme "${scheme}://" (use redis, rediss, redis+sentinel or redis+cluster)`);
      const defPort = mode === 'sentinel' ? 26379 : 6379;
      endpoints = authority
        .split(',')
        .filter(Boolean)
        .map((h) => hostPort(h, defPort));
      if (mode === 'sentinel') name ??= path || undefined;
      else if (path && /^\d+$/.test(path)) db ??= Number(path);
    } else if (raw) {
      endpoints = raw.split(',').map((h) => hostPort(h, mode === 'sentinel' ? 26379 : 6379));
    }
    if (mode === 'sentinel' && Array.isArray(opts.sentinels)) endpoints = endpointList(opts.sentinels, 26379);
    if (mode === 'cluster' && Array.isArray(opts.nodes)) endpoints = endpointList(opts.nodes, 6379);
  } catch (err) {
    if (err instanceof DiagnosticsError) throw err;
    throw bad(errorReason(err));
  }
  if (endpoints.length === 0) throw bad('no host given');
  if (mode === 'sentinel' && !name) throw bad('sentinel mode needs the master name (options.name or redis+sentinel://host:26379/<name>)');
  const tlsOpts = tls === true ? {} : tls && typeof tls === 'object' ? (tls as Record<string, unknown>) : undefined;
  const base: RedisOptions = {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    commandTimeout: Math.max(timeoutMs, 5000),
    maxRetriesPerRequest: 0,
    enableOfflineQueue: true,
    retryStrategy: () => null,
    reconnectOnError: () => false,
    ...(username ? { username } : {}),
    ...(password ? { password } : {}),
    ...(db !== undefined ? { db } : {}),
    ...(tlsOpts ? { tls: tlsOpts } : {}),
  };
  const scheme = tlsOpts ? 'rediss' : 'redis';
  const hosts = endpoints.map((e) => `${e.host}:${e.port}`).join(',');
  const label = mode === 'sentinel' ? `${scheme}+sentinel://${hosts}/${name}` : mode === 'cluster' ? `${scheme}+cluster://${hosts}` : `${scheme}://${hosts}`;
  return { mode, endpoints, name, base, label };
}

/** A one-off connection to one node (sentinels, cluster nodes), same credentials and TLS. */
export async function openNode(plan: ConnectionPlan, ep: HostPort, overrides: RedisOptions = {}): Promise<Redis> {
  const r = new Redis({ ...plan.base, host: ep.host, port: ep.port, ...overrides });
  const lastError = keepLastError(r);
  try {
    await r.connect();
  } catch (err) {
    r.disconnect();
    throw causeOf(err, lastError());
  }
  return r;
}

/**
 * Records the client's last `error` event. With retries off, ioredis rejects connect() with a bare
 * "Connection is closed." whatever happened; the event carries the cause (ECONNREFUSED,
 * ETIMEDOUT, ENOTFOUND, a TLS or AUTH error).
 */
function keepLastError(client: Redis | Cluster): () => Error | undefined {
  let last: Error | undefined;
  client.on('error', (err: Error) => {
    last = err;
  });
  return () => last;
}

/** The connect rejection, or the last error event when the rejection only says the connection closed. */
function causeOf(err: unknown, last: Error | undefined): unknown {
  if (!last || last === err) return err;
  return /connection is closed/i.test(errorReason(err)) ? last : err;
}

export async function openPlan(plan: ConnectionPlan): Promise<Redis | Cluster> {
  let client: Redis | Cluster;
  if (plan.mode === 'cluster') {
    client = new Cluster(plan.endpoints, {
      lazyConnect: true,
      redisOptions: plan.base,
      clusterRetryStrategy: () => null,
      enableOfflineQueue: true,
    });
  } else if (plan.mode === 'sentinel') {
    const { password, username, ...rest } = plan.base;
    client = new Redis({
      ...rest,
      ...(password ? { password } : {}),
      ...(username ? { username } : {}),
      sentinels: plan.endpoints,
      name: plan.name,
      sentinelRetryStrategy: () => null,
      ...(plan.base.tls ? { enableTLSForSentinelMode: true, sentinelTLS: plan.base.tls } : {}),
    });
  } else {
    client = new Redis({ ...plan.base, host: plan.endpoints[0]!.host, port: plan.endpoints[0]!.port });
  }
  const lastError = keepLastError(client);
  let timer: NodeJS.Timeout | undefined;
  // ioredis can keep a cluster connect pending forever (e.g. nodes announcing an empty IP): bound it.
  const limit = Number(plan.base.connectTimeout ?? 3000) + 2000;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${limit} ms (for a cluster: do the nodes announce reachable addresses? see cluster-announce-ip)`)), limit);
  });
  try {
    await Promise.race([client.connect().then(() => client.ping()), timedOut]);
    clearTimeout(timer);
  } catch (err) {
    clearTimeout(timer);
    client.disconnect();
    throw connectError(plan.label, causeOf(err, lastError()));
  }
  return client;
}
