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

  private async send<T>(method: 'GET' | 'POST', path: string): Promise<T> {
    let res;
    try {
      res = await request(`${this.url}${path}`, {
        method,
        headers: { accept: 'application/json', ...(this.token ? { authorization: `Bearer ${this.token}` } : {}) },
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
    if (res.statusCode === 401 || res.statusCode === 403) throw new PlugwayError('PLW_ERR_ADMIN_UNAUTHORIZED');
    if (res.statusCode >= 400) {
      const b = (body && typeof body === 'object' ? body : {}) as { code?: string; message?: string; error?: { code?: string; message?: string } };
      const code = b.code ?? b.error?.code;
      const message = (b.message ?? b.error?.message ?? (typeof body === 'string' ? body : `HTTP ${res.statusCode}`)).replace(/\s*\n\s*/g, ' ');
      if (code && code in ERRORS) {
        const err = new PlugwayError(code as ErrorCode, {});
        (err as { message: string }).message = message;
        throw err;
      }
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
}
