// A small client for the gateway's admin API (node:http: importing undici, or fetch's first call, costs a CLI call 0.1-0.3 s): bearer token, coded one-line errors for a
// wrong token (PLW_ERR_ADMIN_UNAUTHORIZED) or an unreachable gateway (PLW_ERR_GATEWAY_UNREACHABLE).

import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { ERRORS, PlugwayError, reasonOf, type ErrorCode } from '../errors.js';

export const DEFAULT_ADMIN_URL = 'http://127.0.0.1:8080';

export interface AdminClientOptions {
  url?: string;
  token?: string;
  /** Where the token came from (a flag, a variable, a file), for the message when it is refused. */
  tokenSource?: string;
  timeoutMs?: number;
  /** Called with one line per request and answer (the CLI's --log-level debug). */
  debug?: (line: string) => void;
}

/** What an HTTP header can carry (visible ASCII); "…" copied from the docs cannot. */
const SENDABLE_TOKEN = /^[\x21-\x7e]+$/;

export interface AdminPlugin {
  id: string;
  name?: string;
  version: string;
  kind: string;
  runtime: string;
  description?: string;
  enabled: boolean;
  state: string;
  health: string;
  loaded_at?: string | null;
  last_used?: string | null;
  metrics?: Record<string, unknown>;
  [extra: string]: unknown;
}

export class AdminClient {
  readonly url: string;
  private readonly token: string | undefined;
  private readonly timeoutMs: number;
  private readonly tokenSource: string;
  private readonly debug: (line: string) => void;

  constructor(options: AdminClientOptions = {}) {
    this.url = (options.url ?? DEFAULT_ADMIN_URL).replace(/\/+$/, '');
    this.token = options.token;
    this.tokenSource = options.tokenSource ?? 'the token given';
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.debug = options.debug ?? (() => undefined);
  }

  /** A token no server could accept is an auth problem, said before anything is sent. */
  private checkToken(): void {
    if (this.token === undefined || SENDABLE_TOKEN.test(this.token)) return;
    const bad = [...this.token].find((c) => !SENDABLE_TOKEN.test(c)) ?? '';
    const shown = /\s/.test(bad) ? 'a space' : `"${bad}" (U+${bad.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')})`;
    throw withMessage(
      new PlugwayError('PLW_ERR_ADMIN_UNAUTHORIZED', {}),
      `the admin token from ${this.tokenSource} is malformed: it holds ${shown}, which a bearer token cannot. "PLUGWAY_ADMIN_TOKEN=…" in the docs stands for your token: the gateway printed it at first start and keeps it in <state dir>/admin-token, which the CLI reads by itself when PLUGWAY_ADMIN_TOKEN is unset`,
    );
  }

  private async send<T>(method: 'GET' | 'POST', path: string, payload?: unknown): Promise<T> {
    this.checkToken();
    let res: { status: number; text: string };
    const started = performance.now();
    this.debug(`${method} ${this.url}${path}${this.token ? ' (bearer token)' : ' (no token)'}`);
    try {
      res = await send(`${this.url}${path}`, {
        method,
        headers: {
          accept: 'application/json',
          ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
          ...(payload !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(payload !== undefined ? { body: JSON.stringify(payload) } : {}),
        timeoutMs: this.timeoutMs,
      });
    } catch (err) {
      const e = err as { code?: string };
      throw new PlugwayError('PLW_ERR_GATEWAY_UNREACHABLE', { url: this.url, reason: e.code ? `${e.code} ${reasonOf(err)}`.trim() : reasonOf(err) });
    }
    const text = res.text;
    this.debug(`${method} ${path} → ${res.status} in ${Math.round(performance.now() - started)} ms (${text.length} bytes)`);
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = text;
    }
    if (res.status === 401 || res.status === 403) {
      if (this.token)
        throw withMessage(
          new PlugwayError('PLW_ERR_ADMIN_UNAUTHORIZED', {}),
          `the gateway at ${this.url} refused the admin token from ${this.tokenSource} (${res.status}); use the one it printed at first start or keeps in <state dir>/admin-token`,
        );
      throw withMessage(
        new PlugwayError('PLW_ERR_ADMIN_UNAUTHORIZED', {}),
        "no admin token: PLUGWAY_ADMIN_TOKEN is not set and no <state dir>/admin-token was found here; export it, pass --token, or --state-dir the gateway's state dir",
      );
    }
    if (res.status >= 400) {
      const b = (body && typeof body === 'object' ? body : {}) as { code?: string; message?: string; error?: { code?: string; message?: string } };
      const code = b.code ?? b.error?.code;
      // Something answers, but not plugway's admin API (another server, or a gateway with the admin API off).
      if (res.status === 404 && (code === undefined || code === 'PLW_ERR_ROUTE_NOT_FOUND')) {
        throw withMessage(
          new PlugwayError('PLW_ERR_GATEWAY_UNREACHABLE', { url: this.url, reason: 'no plugway admin API there' }),
          `no plugway admin API at ${this.url} (${method} ${path} answered 404${code ? `: ${code}; is gateway.admin.enabled off?` : '; is --url the gateway?'})`,
        );
      }
      const message = (b.message ?? b.error?.message ?? (typeof body === 'string' ? body : `HTTP ${res.status}`)).replace(/\s*\n\s*/g, ' ');
      if (code && code in ERRORS) throw withMessage(PlugwayError.rebuilt(code as ErrorCode, {}), message);
      throw new PlugwayError('PLW_ERR_INTERNAL', { reason: `${method} ${path} answered ${res.status}: ${message}` });
    }
    return body as T;
  }

  list(): Promise<{ plugins: AdminPlugin[]; count: number }> {
    return this.send('GET', '/admin/plugins');
  }

  info(id: string): Promise<AdminPlugin> {
    return this.send('GET', `/admin/plugins/${encodeURIComponent(id)}`);
  }

  action(id: string, action: 'enable' | 'disable' | 'reload'): Promise<unknown> {
    return this.send('POST', `/admin/plugins/${encodeURIComponent(id)}/${action}`);
  }

  /** Asks the gateway to load and start plugins installed into its folders since it started. */
  discover(): Promise<DiscoverAnswer> {
    return this.send('POST', '/admin/plugins/discover', {});
  }

  // releases (docs/hot-reload.md)

  versions(id: string): Promise<AdminVersions> {
    return this.send('GET', `/admin/plugins/${encodeURIComponent(id)}/versions`);
  }

  /** Back to the previous kept version, or `version` (a version string or a hash prefix). */
  rollback(id: string, version?: string): Promise<AdminSwap> {
    return this.send('POST', `/admin/plugins/${encodeURIComponent(id)}/rollback`, version ? { version } : {});
  }

  canary(id: string, req: { version: string; percent: number; sticky_by?: 'user' | 'none' }): Promise<AdminCanary> {
    return this.send('POST', `/admin/plugins/${encodeURIComponent(id)}/canary`, req);
  }

  /** The running canary, or `{ id, canary: null }`. */
  canaryStatus(id: string): Promise<AdminCanary | { id: string; canary: null }> {
    return this.send('GET', `/admin/plugins/${encodeURIComponent(id)}/canary`);
  }

  promote(id: string): Promise<AdminSwap> {
    return this.send('POST', `/admin/plugins/${encodeURIComponent(id)}/canary/promote`, {});
  }

  /** Uploads a package (and its .sig text) once; every node of the cluster installs it (docs/cluster.md). */
  deploy(pkg: Uint8Array, signature?: string): Promise<{ deployed: { id: string; version: string; sha256: string; by: string } }> {
    return this.send('POST', '/admin/cluster/deploy', { package: Buffer.from(pkg).toString('base64'), ...(signature !== undefined ? { signature } : {}) });
  }

  nodes(): Promise<{
    cluster: boolean;
    self: string;
    nodes: Array<{
      id: string;
      address?: string;
      plugins: Array<{ id: string; version: string; state: string; health: string }>;
      problems?: Array<{ plugin?: string; code: string; message: string }>;
    }>;
    skew: Array<{ plugin: string; versions: Record<string, string[]> }>;
  }> {
    return this.send('GET', '/admin/nodes');
  }

  abort(id: string): Promise<{ id: string; action: 'abort'; version: string }> {
    return this.send('POST', `/admin/plugins/${encodeURIComponent(id)}/canary/abort`, {});
  }
}

/** One HTTP exchange, the answer read whole; errors (refused, reset, timeout) reject with their code. */
function send(url: string, o: { method: string; headers: Record<string, string>; body?: string; timeoutMs: number }): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = (url.startsWith('https:') ? httpsRequest : httpRequest)(url, { method: o.method, headers: o.headers, timeout: o.timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.once('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.once('error', reject);
    });
    req.once('timeout', () => req.destroy(Object.assign(new Error(`no answer within ${o.timeoutMs} ms`), { code: 'ETIMEDOUT' })));
    req.once('error', reject);
    req.end(o.body);
  });
}

/** The server's message for a coded error (it already says what and where). */
function withMessage(err: PlugwayError, message: string): PlugwayError {
  (err as { message: string }).message = message;
  return err;
}

export interface DiscoverAnswer {
  added: string[];
  failed: Array<{ id?: string; dir?: string; code: string; message: string }>;
}

export interface AdminSwap {
  id: string;
  action: string;
  from: string;
  version: string;
  hash: string | null;
  state: string;
  cut_over_ms: number;
  drain_ms: number;
  drained: boolean;
}

export interface AdminVersions {
  id: string;
  active: { version: string; hash: string | null };
  desired: { version: string; hash: string; pinned?: boolean; reason?: string } | null;
  watching: { version: string; standby: string; calls: number; errors: number; since: string } | null;
  canary: AdminCanary | null;
  versions: Array<{ version: string; hash: string; saved_at: string; files?: unknown; active: boolean }>;
  kept_in: string | null;
}

export interface AdminCanaryVersion {
  version: string;
  state: string;
  calls: number;
  errors: number;
  error_rate: number;
  mean_ms: number;
  in_flight: number;
  hash?: string;
}

export interface AdminCanary {
  id: string;
  percent: number;
  sticky_by: 'user' | 'none';
  started_at: string;
  stable: AdminCanaryVersion;
  canary: AdminCanaryVersion;
}
