// Service discovery in etcd: an instance is the key `<prefix><service>/<id>` whose value is
// {"url": "..."} (or the bare URL), attached to a lease; when the lease is not kept alive the
// key goes away and every watching gateway drops the upstream.

import { PlugwayError, reasonOf } from '../../../errors.js';
import { DEFAULT_SERVICE_PREFIX } from '../../../manifest/remote.js';
import { createEtcdClient, type KvClient } from '../../../state/etcd-client.js';
import type { Registration, ServiceDiscovery, ServiceInstance, ServiceRegistrar } from './types.js';

export interface EtcdDiscoveryOptions {
  endpoints: string[];
  prefix?: string;
  callTimeoutMs?: number;
}

export function serviceKeyPrefix(prefix: string, service: string): string {
  return `${prefix.endsWith('/') ? prefix : `${prefix}/`}${service}/`;
}

/** The URL an instance's value names, or undefined for a value that names none. */
export function instanceUrl(value: string): string | undefined {
  const v = value.trim();
  if (/^https?:\/\//.test(v)) return v;
  try {
    const o = JSON.parse(v) as { url?: unknown };
    return typeof o?.url === 'string' && /^https?:\/\//.test(o.url) ? o.url : undefined;
  } catch {
    return undefined;
  }
}

export class EtcdDiscovery implements ServiceDiscovery {
  readonly source = 'etcd';
  private readonly kv: KvClient;
  private readonly prefix: string;

  constructor(private readonly opts: EtcdDiscoveryOptions) {
    this.kv = createEtcdClient({ endpoints: opts.endpoints, callTimeoutMs: opts.callTimeoutMs ?? 3000 });
    this.prefix = opts.prefix ?? DEFAULT_SERVICE_PREFIX;
  }

  async watch(service: string, h: { onChange(instances: ServiceInstance[]): void; onError?(reason: string): void }): Promise<() => Promise<void>> {
    const keyPrefix = serviceKeyPrefix(this.prefix, service);
    const current = new Map<string, string>();
    const emit = () => h.onChange([...current].map(([id, url]) => ({ id, url })).sort((a, b) => a.id.localeCompare(b.id)));
    const set = (key: string, value: string) => {
      const url = instanceUrl(value);
      const id = key.slice(keyPrefix.length);
      if (url) current.set(id, url);
      else current.delete(id);
    };
    let stop: () => Promise<void>;
    try {
      const range = await this.kv.range(keyPrefix);
      for (const e of range.entries) set(e.key, e.value);
      emit();
      stop = await this.kv.watchPrefix(keyPrefix, String(BigInt(range.revision) + 1n), {
        onEvent: (e) => {
          if (e.type === 'put') set(e.key, e.value);
          else current.delete(e.key.slice(keyPrefix.length));
          emit();
        },
        onDisconnected: (reason) => h.onError?.(`etcd watch lost: ${reason}; the last ${current.size} instances keep serving`),
        onError: (reason) => h.onError?.(reason),
      });
    } catch (err) {
      throw new PlugwayError('PLW_ERR_DISCOVERY_UNAVAILABLE', { source: 'etcd', service, endpoints: this.opts.endpoints.join(', '), reason: reasonOf(err) }, { cause: err });
    }
    return stop;
  }

  async close(): Promise<void> {
    this.kv.close();
  }
}

/** Keeps instances registered with a lease (etcd3's lease keeps itself alive at a third of its TTL). */
export class EtcdRegistrar implements ServiceRegistrar {
  private client: Promise<import('etcd3').Etcd3> | undefined;
  private readonly prefix: string;

  constructor(private readonly opts: EtcdDiscoveryOptions) {
    this.prefix = opts.prefix ?? DEFAULT_SERVICE_PREFIX;
  }

  private etcd() {
    this.client ??= import('etcd3').then(({ Etcd3 }) => new Etcd3({ hosts: this.opts.endpoints, dialTimeout: this.opts.callTimeoutMs ?? 3000 }));
    return this.client;
  }

  async register(service: string, instance: ServiceInstance, ttlSec: number): Promise<Registration> {
    const key = serviceKeyPrefix(this.prefix, service) + instance.id;
    const client = await this.etcd();
    const lease = client.lease(ttlSec, { autoKeepAlive: true });
    let resolveLost!: (reason: string) => void;
    const lost = new Promise<string>((r) => (resolveLost = r));
    lease.on('lost', (err) => resolveLost(`lease lost: ${reasonOf(err)}`));
    try {
      await lease.put(key).value(JSON.stringify({ url: instance.url, registered_at: new Date().toISOString() }));
    } catch (err) {
      await lease.revoke().catch(() => undefined);
      throw new PlugwayError('PLW_ERR_DISCOVERY_UNAVAILABLE', { source: 'etcd', service, endpoints: this.opts.endpoints.join(', '), reason: reasonOf(err) }, { cause: err });
    }
    return {
      key,
      lost,
      stop: async () => {
        await lease.revoke().catch(() => undefined);
        resolveLost('stopped');
      },
    };
  }

  async close(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    if (c) (await c.catch(() => undefined))?.close();
  }
}
