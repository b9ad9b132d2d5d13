// protocol http: one attempt of a request to one upstream, as is. The body streams both ways
// (a Readable from the gateway goes to undici; the answer comes back through proxy-handler.ts);
// hop-by-hop headers are dropped, X-Forwarded-* and the request id added; upgrades are spliced.

import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import type { RemoteSpec } from '../../manifest/remote.js';
import type { PluginRequest, PluginResponse } from '../../sdk/types.js';
import { HOP_BY_HOP, ProxyHandler } from './proxy-handler.js';
import type { UpstreamSet } from './upstream-set.js';
import type { Upstream } from './upstream.js';

/** The gateway hands a streaming route's body over as the request itself (node's IncomingMessage). */
export function isIncoming(body: unknown): body is IncomingMessage {
  return body instanceof Readable && typeof (body as IncomingMessage).headers === 'object' && (body as IncomingMessage).socket !== undefined;
}

/** Whether the request carries a body at all (a GET through a streaming route has none). */
export function hasBody(headers: PluginRequest['headers']): boolean {
  const cl = headers['content-length'];
  return headers['transfer-encoding'] !== undefined || (cl !== undefined && cl !== '0');
}

export function isUpgrade(preq: PluginRequest): boolean {
  const u = preq.headers.upgrade;
  const c = preq.headers.connection;
  return typeof u === 'string' && typeof c === 'string' && /\bupgrade\b/i.test(c);
}

/** The path as the upstream sees it: prefix stripped, rewritten, behind the upstream URL's own path, with the query. */
export function upstreamPath(spec: RemoteSpec, up: Upstream, path: string, search: string): string {
  let p = path;
  const strip = spec.stripPrefix;
  if (strip && (p === strip || p.startsWith(strip.endsWith('/') ? strip : `${strip}/`))) p = p.slice(strip.length) || '/';
  if (p[0] !== '/') p = `/${p}`;
  if (spec.rewritePrefix) {
    const pre = spec.rewritePrefix.replace(/\/+$/, '');
    p = p === '/' ? pre || '/' : pre + p;
  }
  return up.basePath + p + search;
}

/** The query string as it arrived (`?a=1`), or rebuilt from the parsed query. */
export function searchOf(preq: PluginRequest, incoming = isIncoming(preq.body) ? preq.body : undefined): string {
  const raw = incoming;
  if (raw) {
    const q = raw.url?.indexOf('?') ?? -1;
    return q >= 0 ? raw.url!.slice(q) : '';
  }
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(preq.query ?? {})) for (const x of Array.isArray(v) ? v : [v]) params.append(k, String(x));
  const s = params.toString();
  return s ? `?${s}` : '';
}

/** A header list as undici takes it: name, value, name, value… (a value may be a list of its own). */
export type HeaderList = Array<string | string[]>;

/**
 * Request headers for the upstream, as undici's flat list (cheaper to build and for undici to
 * walk than an object): end-to-end ones, X-Forwarded-For/Proto/Host, X-Request-Id.
 * `dropLength`: without Content-Length (a parsed body is re-serialized with a length of its own).
 */
export function forwardHeaderList(preq: PluginRequest, incoming: IncomingMessage | undefined, dropLength = false): HeaderList {
  const h = preq.headers;
  const out: HeaderList = [];
  // Connection may name more hop-by-hop headers (`keep-alive` and `close`, the usual values, name none)
  const c = h.connection;
  const conn = typeof c === 'string' && c !== 'keep-alive' && c !== 'close' ? c.toLowerCase().split(/\s*,\s*/) : undefined;
  for (const name in h) {
    const v = h[name];
    // x-forwarded-for and x-request-id are the gateway's to write, below
    if (v === undefined || HOP_BY_HOP.has(name) || name === 'x-forwarded-for' || name === 'x-request-id' || (dropLength && name === 'content-length') || conn?.includes(name)) continue;
    out.push(name, v);
  }
  const socket = incoming?.socket;
  const client = socket?.remoteAddress;
  const prior = h['x-forwarded-for'];
  if (client) out.push('x-forwarded-for', prior ? `${Array.isArray(prior) ? prior.join(', ') : prior}, ${client}` : client);
  else if (prior !== undefined) out.push('x-forwarded-for', prior);
  if (h['x-forwarded-proto'] === undefined) out.push('x-forwarded-proto', (socket as { encrypted?: boolean } | undefined)?.encrypted ? 'https' : 'http');
  if (h['x-forwarded-host'] === undefined && typeof h.host === 'string') out.push('x-forwarded-host', h.host);
  out.push('x-request-id', preq.id);
  return out;
}

/** forwardHeaderList as an object (protocol plugin, upgrades). */
export function forwardHeaders(preq: PluginRequest, incoming = isIncoming(preq.body) ? preq.body : undefined): Record<string, string | string[]> {
  const list = forwardHeaderList(preq, incoming);
  const out: Record<string, string | string[]> = {};
  for (let i = 0; i < list.length; i += 2) out[list[i] as string] = list[i + 1]!;
  return out;
}

export interface Attempt {
  /** Milliseconds the upstream may take to send its response head. */
  headersTimeoutMs: number;
  /** Longest pause between body chunks, ms. */
  idleTimeoutMs: number;
  signal: AbortSignal | undefined;
  /** performance.now() when the attempt began (its latency is counted to the response head). */
  t0: number;
}

/**
 * Sends the request to `up` (undici's dispatch with our handler, proxy-handler.ts); resolves with the
 * PluginResponse: at the head with a streaming body, or at the end with a small body whole.
 */
export function requestHttp(spec: RemoteSpec, up: Upstream, set: UpstreamSet, preq: PluginRequest, a: Attempt, incoming: IncomingMessage | undefined): Promise<PluginResponse> {
  let body: Dispatcher.DispatchOptions['body'] = null;
  if (incoming) {
    if (hasBody(preq.headers)) body = incoming;
  } else if (preq.body !== undefined && preq.body !== null) {
    body = typeof preq.body === 'string' || preq.body instanceof Uint8Array ? preq.body : JSON.stringify(preq.body);
  }
  // a parsed body was re-serialized: its length is the new one
  const headers = forwardHeaderList(preq, incoming, !incoming) as string[];
  const handler = new ProxyHandler(preq.method, up, set, a);
  up.pool.dispatch(
    {
      method: preq.method as Dispatcher.HttpMethod,
      path: upstreamPath(spec, up, preq.path, searchOf(preq, incoming)),
      headers,
      body,
      headersTimeout: a.headersTimeoutMs,
      bodyTimeout: a.idleTimeoutMs,
    },
    handler,
  );
  return handler.promise;
}

/** A WebSocket (or other) upgrade: resolves with the upstream's 101 head and its socket. */
export function upgradeHttp(spec: RemoteSpec, up: Upstream, preq: PluginRequest, a: Attempt): Promise<Dispatcher.UpgradeData> {
  const opts: Dispatcher.UpgradeOptions = {
    method: 'GET',
    path: upstreamPath(spec, up, preq.path, searchOf(preq)),
    headers: forwardHeaders(preq),
    protocol: String(preq.headers.upgrade),
  };
  if (a.signal) opts.signal = a.signal;
  return up.pool.upgrade(opts);
}
