// A small client for RabbitMQ's management HTTP API (GET/DELETE with basic auth and a timeout),
// whose errors say what to do: enable the plugin, fix the credentials or the tags.
import { errorReason } from 'plugway/sdk';
import type { RabbitPlan } from './target.js';

export class ManagementError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'ManagementError';
  }
}

export class ManagementApi {
  private readonly auth: string;

  constructor(
    private readonly plan: RabbitPlan,
    private readonly timeoutMs: number,
  ) {
    this.auth = `Basic ${Buffer.from(`${plan.user}:${plan.password}`).toString('base64')}`;
  }

  get base(): string {
    return this.plan.managementUrl;
  }

  async request<T>(method: 'GET' | 'DELETE' | 'PUT', path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${this.plan.managementUrl}${path}`, {
        method,
        // The API answers 406 to a DELETE that asks for JSON back: only reads ask for it.
        headers: { authorization: this.auth, ...(method === 'GET' ? { accept: 'application/json' } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        body: body !== undefined ? JSON.stringify(body) : undefined,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      const cause = (err as { cause?: unknown }).cause;
      const reason = cause ? errorReason(cause) : errorReason(err);
      throw new ManagementError(
        `the management API at ${this.plan.managementUrl} does not answer (${reason}); enable it with rabbitmq-plugins enable rabbitmq_management, or give options.management_url`,
      );
    }
    if (res.status === 401) throw new ManagementError(`the management API refused user "${this.plan.user}" (401): wrong password, or a user without the management/monitoring tag`, 401);
    if (!res.ok) {
      const text = await res.text().catch(() => '');
      throw new ManagementError(`${method} ${path} answered ${res.status} ${text.slice(0, 200)}`, res.status);
    }
    if (res.status === 204) return undefined as T;
    const text = await res.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  get<T>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }
}
