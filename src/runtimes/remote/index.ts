// The `remote` runtime: a plugin that is a service deployed elsewhere. handleRequest goes to one
// of its upstreams (balanced, health-checked, ejected on failure, retried within a budget), as
// the HTTP request itself (protocol http, streamed) or as a PluginRequest JSON (protocol plugin).

import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { resolve } from 'node:path';
import type { IncomingMessage } from 'node:http';
import type { ConnectionOptions } from 'node:tls';
import { PlugwayError, isPlugwayError, reasonOf } from '../../errors.js';
import type { RemoteSpec } from '../../manifest/remote.js';
import type { PluginMetrics, PluginRequest, PluginResponse, HealthStatus } from '../../sdk/types.js';
import type { CallOptions, PluginRuntime, RuntimeInit, RuntimeStats } from '../types.js';
import { EtcdDiscovery } from './discovery/etcd.js';
import type { ServiceDiscovery } from './discovery/types.js';
import { HealthChecker } from './health-checker.js';
import { hasBody, isIncoming, isUpgrade, requestHttp, upgradeHttp, type Attempt } from './http-proxy.js';
import { requestPlugin } from './plugin-protocol.js';
import { UpstreamSet } from './upstream-set.js';
import type { Upstream, UpstreamSnapshot } from './upstream.js';

export type { UpstreamSnapshot } from './upstream.js';

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);
const RETRY_STATUS = new Set([502, 503, 504]);
/** Errors raised before a byte of the request left: another upstream can take it whatever the method. */
const NOT_SENT = new Set(['ECONNREFUSED', 'UND_ERR_CONNECT_TIMEOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
const TIMEOUTS = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

const PRECISE_BELOW_MS = 2000;

/** An abort at the deadline (optionally following the caller's signal); cleared once the head arrived. */
class DeadlineTimer {
  private readonly ac = new AbortController();
  private readonly t: NodeJS.Timeout;
  fired = false;
  constructor(ms: number, outer: AbortSignal | undefined) {
    this.t = setTimeout(() => {
      this.fired = true;
      this.ac.abort(new Error('deadline'));
    }, ms);
    if (outer) outer.addEventListener('abort', () => this.ac.abort(outer.reason), { once: true });
  }
  get signal(): AbortSignal {
    return this.ac.signal;
  }
  clear(): void {
    clearTimeout(this.t);
  }
}

function errCode(err: unknown): string | undefined {
  const e = err as { code?: string; cause?: { code?: string } };
  return e?.code && e.code !== 'UND_ERR_SOCKET' ? e.code : (e?.cause?.code ?? e?.code);
}

class RemoteRuntime implements PluginRuntime {
  readonly type = 'remote' as const;
  private spec!: RemoteSpec;
  private set: UpstreamSet | undefined;
  private checker: HealthChecker | undefined;
  private discovery: ServiceDiscovery | undefined;
  private unwatch: (() => Promise<void>) | undefined;
  private tls: ConnectionOptions | undefined;
  /** Only the timeouts: calls, errors, time and in-flight are counted by the host (host/traffic.ts), as for in-process plugins. */
  private timeouts = 0;
  private readonly id: string;

  constructor(private readonly init: RuntimeInit) {
    this.id = init.manifest.id;
  }

  /** The gateway hands this runtime the request body as a stream (protocol http). */
  get streamsRequestBody(): boolean {
    return this.spec?.protocol === 'http';
  }

  private bad(field: string, reason: string): PlugwayError {
    return new PlugwayError('PLW_ERR_REMOTE_CONFIG', { id: this.id, field, reason });
  }

  async load(): Promise<void> {
    const spec = this.init.manifest.runtime.remote;
    if (!spec) throw this.bad('upstreams', 'a remote plugin needs runtime.upstreams (URLs, or { discover: etcd, service: <name> })');
    this.spec = spec;
    if (!spec.discover && spec.upstreams.length === 0) throw this.bad('upstreams', 'no upstream URLs');
    for (const u of spec.upstreams) {
      let url: URL;
      try {
        url = new URL(u);
      } catch {
        throw this.bad('upstreams', `"${u}" is not a URL (write http://host:port or https://host:port)`);
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw this.bad('upstreams', `"${u}": only http:// and https:// upstreams are supported`);
      if (url.search || url.hash) throw this.bad('upstreams', `"${u}": an upstream URL takes no query or fragment`);
    }
    this.tls = this.tlsOptions(spec);
    await this.bringUp();
  }

  private tlsOptions(spec: RemoteSpec): ConnectionOptions | undefined {
    const t = spec.tls;
    if (!t) return undefined;
    const dir = this.init.pluginDir ?? process.cwd();
    const read = (field: 'ca' | 'cert' | 'key') => {
      const file = resolve(dir, t[field]!);
      try {
        return readFileSync(file);
      } catch (err) {
        throw this.bad(`tls.${field}`, `cannot read ${file}: ${reasonOf(err)}`);
      }
    };
    const o: ConnectionOptions = { rejectUnauthorized: t.verify };
    if (t.ca) o.ca = read('ca');
    if (t.cert) o.cert = read('cert');
    if (t.key) o.key = read('key');
    if (t.servername) o.servername = t.servername;
    if (!!t.cert !== !!t.key) throw this.bad('tls', 'a client certificate needs both tls.cert and tls.key');
    return o;
  }

  /** Pools, discovery and health checks; again after a stop (a rollback restarts a stopped version). */
  private async bringUp(): Promise<void> {
    if (this.set) return;
    const spec = this.spec;
    const onEvent = this.init.onEvent;
    const logger = this.init.logger;
    const set = new UpstreamSet(spec, this.tls, {
      ejected: (up, forMs) => {
        logger.warn({ upstream: up.url, ejected_for_ms: forMs }, `upstream ${up.url} ejected for ${forMs} ms after consecutive failures`);
        onEvent?.({ type: 'runtime.upstream_ejected', data: { upstream: up.url, forMs } });
      },
      returned: (up) => onEvent?.({ type: 'runtime.upstream_returned', data: { upstream: up.url } }),
      changed: (added, removed) => {
        if (this.checker) for (const u of set.upstreams) if (added.includes(u.url)) void this.checker.check(u);
        onEvent?.({ type: 'runtime.upstreams_changed', data: { added, removed } });
      },
    });
    this.set = set;
    set.replace(spec.upstreams, 'static');
    const hc = this.init.manifest.healthCheck;
    if (hc?.endpoint) {
      this.checker = new HealthChecker(
        { endpoint: hc.endpoint, intervalMs: hc.intervalMs, timeoutMs: hc.timeoutMs },
        () => set.upstreams,
        (up, healthy, reason) => {
          logger[healthy ? 'info' : 'warn']({ upstream: up.url, reason }, `upstream ${up.url} is ${healthy ? 'healthy again' : `unhealthy: ${reason}`}`);
          onEvent?.({ type: 'runtime.upstream_health_changed', data: { upstream: up.url, healthy, ...(reason ? { reason } : {}) } });
        },
      );
    }
    if (spec.discover) {
      const d = spec.discover;
      const endpoints = d.endpoints.length
        ? d.endpoints
        : (process.env.PLUGWAY_ETCD_ENDPOINTS?.split(',')
            .map((s) => s.trim())
            .filter(Boolean) ?? ['http://127.0.0.1:2379']);
      this.discovery = new EtcdDiscovery({ endpoints, prefix: d.prefix });
      try {
        this.unwatch = await this.discovery.watch(d.service, {
          onChange: (instances) =>
            set.replace(
              instances.map((i) => i.url),
              'etcd',
            ),
          onError: (reason) => logger.warn({ service: d.service }, `discovery of ${d.service}: ${reason}`),
        });
      } catch (err) {
        await this.tearDown(false);
        throw err;
      }
    }
  }

  private async tearDown(graceful: boolean): Promise<void> {
    this.checker?.stop();
    this.checker = undefined;
    const unwatch = this.unwatch;
    this.unwatch = undefined;
    await unwatch?.().catch(() => undefined);
    await this.discovery?.close();
    this.discovery = undefined;
    const set = this.set;
    this.set = undefined;
    // in-flight requests and streaming bodies finish on their own; the connections close after them
    if (set) {
      const closing = set.close(graceful);
      if (!graceful) await closing;
    }
  }

  implements(method: string): boolean {
    return method === 'handleRequest' || method === 'healthCheck' || method === 'start' || method === 'stop';
  }

  call<T = unknown>(method: string, payload: readonly unknown[] = [], options?: CallOptions): Promise<T> {
    // handle's own promise, not one of ours resolved with it (that costs two more microtask hops a request)
    if (method === 'handleRequest') return this.handle(payload[0] as PluginRequest, options) as Promise<T>;
    return this.control<T>(method);
  }

  private async control<T>(method: string): Promise<T> {
    switch (method) {
      case 'healthCheck':
        return this.health() as T;
      case 'start':
        await this.bringUp();
        if (this.checker) {
          await this.checker.round();
          this.checker.start();
        }
        return undefined as T;
      case 'stop':
        await this.tearDown(true);
        return undefined as T;
      default:
        throw new PlugwayError('PLW_ERR_METHOD_NOT_IMPLEMENTED', { id: this.id, method });
    }
  }

  private health(): HealthStatus {
    const ups = this.set?.snapshot() ?? [];
    const up = ups.filter((u) => u.state === 'healthy').length;
    const details = { upstreams: ups.map((u) => ({ url: u.url, state: u.state })) };
    if (ups.length === 0) return { status: 'unhealthy', message: this.set?.whyNone(Date.now()) ?? 'not started', details };
    if (up === 0) return { status: 'unhealthy', message: this.set!.whyNone(Date.now()), details };
    if (up < ups.length) return { status: 'degraded', message: `${up} of ${ups.length} upstreams healthy`, details };
    return { status: 'healthy', message: `${up} upstreams healthy`, details };
  }

  private keyOf(preq: PluginRequest, incoming: IncomingMessage | undefined): string | undefined {
    if (this.spec.balance !== 'consistent-hash') return undefined;
    const hk = this.spec.hashKey;
    if (hk.type === 'header') {
      const v = preq.headers[hk.name];
      return Array.isArray(v) ? v[0] : v;
    }
    if (preq.userId !== undefined) return `u:${preq.userId}`;
    return incoming?.socket.remoteAddress;
  }

  private async handle(preq: PluginRequest, options: CallOptions | undefined): Promise<PluginResponse> {
    const set = this.set;
    if (!set) throw new PlugwayError('PLW_ERR_PLUGIN_NOT_RUNNING', { id: this.id, state: 'stopped' });
    const started = performance.now();
    let now = Date.now();
    const deadline = options?.deadline ?? now + this.init.defaultTimeoutMs;
    set.budget.active++;
    const incoming = isIncoming(preq.body) ? preq.body : undefined;
    const streamed = incoming !== undefined && hasBody(preq.headers);
    const retryable = !streamed && IDEMPOTENT.has(preq.method);
    const key = this.keyOf(preq, incoming);
    let exclude: Upstream | undefined;
    let holdsRetry = false;
    try {
      for (let attempt = 0; ; attempt++) {
        if (attempt > 0) now = Date.now();
        const up = set.pick(now, key, exclude) ?? (exclude?.available(now) ? exclude : undefined);
        if (!up) throw new PlugwayError('PLW_ERR_UPSTREAM_UNAVAILABLE', { id: this.id, reason: set.whyNone(now), retryAfter: set.retryAfterSec(now) });
        const left = deadline - now;
        if (left <= 0) throw this.timeout(up, deadline - started);
        // undici's own timers tick every ~0.5-1 s: a short deadline gets a timer of its own
        const timer = left < PRECISE_BELOW_MS ? new DeadlineTimer(left, options?.signal) : undefined;
        const signal = timer?.signal ?? options?.signal;
        const a: Attempt = { headersTimeoutMs: timer ? 0 : left, idleTimeoutMs: Math.max(left, 1000), signal, t0: attempt === 0 ? started : performance.now() };
        let retryNext = false;
        try {
          const res = await this.attempt(set, up, preq, a, incoming);
          if (res && !(RETRY_STATUS.has(res.statusCode) && retryable && attempt < this.spec.retries.attempts && this.acquireRetry(set))) return res;
          // a gateway error from this upstream: another one may do better
          // (a small body was read whole; a streamed one is dropped with its connection)
          if (res?.body instanceof Readable) res.body.destroy();
          retryNext = true;
        } catch (err) {
          if (isPlugwayError(err)) throw err;
          const code = errCode(err);
          if (timer?.fired) throw this.timeout(up, Math.round(performance.now() - started));
          if (options?.signal?.aborted) throw new PlugwayError('PLW_ERR_CALL_ABORTED', { id: this.id, method: 'handleRequest', reason: reasonOf(options.signal.reason) });
          if (code && TIMEOUTS.has(code)) throw this.timeout(up, Math.round(performance.now() - started));
          const canRetry = (retryable || (!streamed && code !== undefined && NOT_SENT.has(code))) && attempt < this.spec.retries.attempts;
          if (!canRetry || !this.acquireRetry(set))
            throw new PlugwayError('PLW_ERR_UPSTREAM_FAILED', { id: this.id, upstream: up.url, reason: `${code ? `${code}: ` : ''}${reasonOf(err)}` }, { cause: err });
          retryNext = true;
        } finally {
          timer?.clear();
          if (holdsRetry) {
            set.budget.release();
            holdsRetry = false;
          }
        }
        if (retryNext) {
          holdsRetry = true;
          exclude = up;
        }
      }
    } catch (err) {
      if (isPlugwayError(err) && (err.code === 'PLW_ERR_UPSTREAM_TIMEOUT' || err.code === 'PLW_ERR_PLUGIN_TIMEOUT')) this.timeouts++;
      throw err;
    } finally {
      if (holdsRetry) set.budget.release();
      set.budget.active--;
    }
  }

  private acquireRetry(set: UpstreamSet): boolean {
    return set.budget.tryAcquire();
  }

  private timeout(up: Upstream, ms: number): PlugwayError {
    return new PlugwayError('PLW_ERR_UPSTREAM_TIMEOUT', { id: this.id, upstream: up.url, timeoutMs: Math.round(ms) });
  }

  /** One try on one upstream, counted on it; a failure counts towards its ejection. */
  private attempt(set: UpstreamSet, up: Upstream, preq: PluginRequest, a: Attempt, incoming: IncomingMessage | undefined): Promise<PluginResponse | undefined> {
    up.requests++;
    up.inFlight++;
    if (this.spec.protocol === 'plugin' || (this.spec.websocket && isUpgrade(preq))) return this.attemptOther(set, up, preq, a);
    try {
      // the handler counts the exchange on `up` itself (proxy-handler.ts): no promise of ours around undici's answer
      return requestHttp(this.spec, up, set, preq, a, incoming);
    } catch (err) {
      up.inFlight--;
      set.failure(up);
      return Promise.reject(err);
    }
  }

  /** protocol plugin, or a WebSocket upgrade: one try, `up` already counted in flight. */
  private async attemptOther(set: UpstreamSet, up: Upstream, preq: PluginRequest, a: Attempt): Promise<PluginResponse | undefined> {
    const t0 = a.t0;
    let settled = false;
    const done = () => {
      if (!settled) {
        settled = true;
        up.inFlight--;
      }
    };
    try {
      if (this.spec.protocol === 'plugin') {
        const r = await requestPlugin(this.spec, up, preq, a, this.id);
        up.observe(performance.now() - t0);
        done();
        if (r.transportStatus >= 500) set.failure(up);
        else set.success(up);
        return r.response ?? { statusCode: r.transportStatus };
      }
      const u = await upgradeHttp(this.spec, up, preq, a);
      up.observe(performance.now() - t0);
      set.success(up);
      u.socket.once('close', done);
      return { statusCode: 101, headers: { ...headersOf(u.headers), connection: 'Upgrade', upgrade: String(preq.headers.upgrade) }, body: u.socket };
    } catch (err) {
      done();
      if (!isPlugwayError(err)) set.failure(up);
      throw err;
    }
  }

  exports(): unknown {
    return undefined;
  }

  stats(): RuntimeStats {
    return { calls: 0, errors: 0, timeouts: this.timeouts, inFlight: 0, totalMs: 0, restarts: 0 };
  }

  /** Per-upstream state and counters (admin API, dashboard, metrics). */
  upstreams(): UpstreamSnapshot[] {
    return this.set?.snapshot() ?? [];
  }

  async resourceUsage(): Promise<Partial<PluginMetrics>> {
    const ups = this.upstreams();
    const b = this.set?.budget;
    return { activeConnections: ups.reduce((n, u) => n + u.inFlight, 0), upstreams: ups, retries: { granted: b?.granted ?? 0, refused: b?.exhausted ?? 0 } };
  }

  async dispose(): Promise<void> {
    await this.tearDown(false);
  }
}

function headersOf(h: Record<string, string | string[] | undefined> | null): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  if (h) for (const k in h) if (h[k] !== undefined && k !== 'connection' && k !== 'upgrade') out[k] = h[k]!;
  return out;
}

export function createRemoteRuntime(init: RuntimeInit): PluginRuntime {
  return new RemoteRuntime(init);
}
