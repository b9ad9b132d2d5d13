// A small client for the gateway's admin API (undici): bearer token, coded one-line errors for a
// wrong token (PLW_ERR_ADMIN_UNAUTHORIZED) or an unreachable gateway (PLW_ERR_GATEWAY_UNREACHABLE).

import { request } from 'undici';
import { ERRORS, PlugwayError, reasonOf, type ErrorCode } from '../errors.js';

export const DEFAULT_ADMIN_URL = 'http://127.0.0.1:8080';

export interface AdminClientOptions {
  url?: string;
  token?: string;
  timeoutMs?: number;
}

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

  constructor(options: AdminClientOptions = {}) {
    this.url = (options.url ?? DEFAULT_ADMIN_URL).replace(/\/+$/, '');
    this.token = options.token;
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  private async send<T>(method: 'GET' | 'POST', path: string, payload?: unknown): Promise<T> {
    let res;
    try {
      res = await request(`${this.url}${path}`, {
        method,
        headers: {
          accept: 'application/json',
          ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
          ...(payload !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(payload !== undefined ? { body: JSON.stringify(payload) } : {}),
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
      });
    } catch (err) {
      const e = err as { code?: string };
      throw new PlugwayError('PLW_ERR_GATEWAY_UNREACHABLE', { url: this.url, reason: e.code ? `${e.code} ${reasonOf(err)}`.trim() : reasonOf(err) });
    }
    const text = await res.body.text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = text;
    }
    if (res.statusCode === 401 || res.statusCode === 403) {
      if (this.token) throw new PlugwayError('PLW_ERR_ADMIN_UNAUTHORIZED');
      throw withMessage(new PlugwayError('PLW_ERR_ADMIN_UNAUTHORIZED'), 'PLUGWAY_ADMIN_TOKEN is not set: export it or pass --token (a gateway that generated its token keeps it in <state dir>/admin-token)');
    }
    if (res.statusCode >= 400) {
      const b = (body && typeof body === 'object' ? body : {}) as { code?: string; message?: string; error?: { code?: string; message?: string } };
      const code = b.code ?? b.error?.code;
      // Something answers, but not plugway's admin API (another server, or a gateway with the admin API off).
      if (res.statusCode === 404 && (code === undefined || code === 'PLW_ERR_ROUTE_NOT_FOUND')) {
        throw withMessage(
          new PlugwayError('PLW_ERR_GATEWAY_UNREACHABLE', { url: this.url, reason: 'no plugway admin API there' }),
          `no plugway admin API at ${this.url} (${method} ${path} answered 404${code ? `: ${code}; is gateway.admin.enabled off?` : '; is --url the gateway?'})`,
        );
      }
      const message = (b.message ?? b.error?.message ?? (typeof body === 'string' ? body : `HTTP ${res.statusCode}`)).replace(/\s*\n\s*/g, ' ');
      if (code && code in ERRORS) throw withMessage(new PlugwayError(code as ErrorCode, {}), message);
      throw new PlugwayError('PLW_ERR_INTERNAL', { reason: `${method} ${path} answered ${res.statusCode}: ${message}` });
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

  nodes(): Promise<{ cluster: boolean; self: string; nodes: Array<{ id: string; address?: string; plugins: Array<{ id: string; version: string; state: string; health: string }>; problems?: Array<{ plugin?: string; code: string; message: string }> }>; skew: Array<{ plugin: string; versions: Record<string, string[]> }> }> {
    return this.send('GET', '/admin/nodes');
  }

  abort(id: string): Promise<{ id: string; action: 'abort'; version: string }> {
    return this.send('POST', `/admin/plugins/${encodeURIComponent(id)}/canary/abort`, {});
  }
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
