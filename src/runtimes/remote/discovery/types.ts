// Service discovery behind one small interface: a source tells which URLs serve a service now,
// and a registrar keeps one instance listed while it lives. etcd implements both (etcd.ts);
// Consul or DNS would be another file here, nothing else changes.

export interface ServiceInstance {
  /** The instance's key under the service (etcd: the key's last segment). */
  id: string;
  url: string;
}

export interface DiscoveryWatchHandlers {
  /** The full current list, after the first read and after every change. */
  onChange(instances: ServiceInstance[]): void;
  /** The source cannot be reached; the last list keeps serving. */
  onError?(reason: string): void;
}

export interface ServiceDiscovery {
  /** For messages and the admin API ('etcd'). */
  readonly source: string;
  /** Reads the service's instances, then reports every change; resolves with a stop function. Throws PLW_ERR_DISCOVERY_UNAVAILABLE. */
  watch(service: string, handlers: DiscoveryWatchHandlers): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

export interface Registration {
  readonly key: string;
  /** Resolves when the registration was lost (lease expired or revoked, store gone for too long). */
  readonly lost: Promise<string>;
  /** Removes the instance at once (revokes its lease). */
  stop(): Promise<void>;
}

export interface ServiceRegistrar {
  /** Lists `url` under `service` for as long as the registration is kept alive (a lease of ttlSec). */
  register(service: string, instance: ServiceInstance, ttlSec: number): Promise<Registration>;
  close(): Promise<void>;
}
