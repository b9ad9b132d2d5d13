// The few key-value operations the etcd state store needs, behind one small interface so the
// `etcd3` package (1.1.2, unmaintained since 2023) can be swapped without touching the store.

import type { Etcd3, IKeyValue, IOptions, Watcher } from 'etcd3';
import { ExponentialBackoff } from 'cockatiel';

export interface KvEntry {
  key: string;
  value: string;
  /** etcd's mod revision of the key (a decimal string: revisions are int64). */
  modRevision: string;
}

export interface KvRange {
  entries: KvEntry[];
  /** The store revision the range was read at; a watch from revision + 1 misses nothing. */
  revision: string;
}

export type KvEvent = { type: 'put'; key: string; value: string; modRevision: string } | { type: 'delete'; key: string; modRevision: string };

export interface KvWatchHandlers {
  onEvent(event: KvEvent): void;
  /** The watch stream is up (again); `reconnected` after it had been lost. */
  onConnected?(reconnected: boolean): void;
  /** The stream was lost; the client keeps retrying with a backoff. */
  onDisconnected?(reason: string): void;
  /** A failure the client will not recover from by itself. */
  onError?(reason: string): void;
}

export interface KvClient {
  /** Every key under `prefix`, with the revision it was read at. */
  range(prefix: string): Promise<KvRange>;
  get(key: string): Promise<KvEntry | undefined>;
  /**
   * Writes `value` only if the key's mod revision is still `expectedModRevision` ('0': the key
   * must not exist). Returns the new mod revision, or undefined when someone else wrote first.
   */
  compareAndPut(key: string, value: string, expectedModRevision: string): Promise<string | undefined>;
  /** Watches `prefix` from `fromRevision` (inclusive); resolves once the watch is set up. */
  watchPrefix(prefix: string, fromRevision: string, handlers: KvWatchHandlers): Promise<() => Promise<void>>;
  /**
   * Grants a lease of `ttlSeconds`, kept alive by the client, and writes `key` under it: the key
   * disappears when the process stops renewing it (killed, partitioned) for longer than the TTL.
   */
  leasedKey?(key: string, ttlSeconds: number, handlers?: LeasedKeyHandlers): Promise<LeasedKey>;
  close(): void;
}

export interface LeasedKeyHandlers {
  /** The lease expired or was revoked (etcd was away longer than the TTL); the key is gone. */
  onLost?(reason: string): void;
}

/** A key that lives as long as its lease; `put` rewrites its value under the same lease. */
export interface LeasedKey {
  put(value: string): Promise<void>;
  /** Revokes the lease: the key is deleted at once (a clean shutdown). */
  revoke(): Promise<void>;
}

export interface EtcdClientOptions {
  /** http://host:port URLs. */
  endpoints: string[];
  /** Deadline for each unary call (default 3000 ms): an unreachable etcd fails fast, not after 30 s. */
  callTimeoutMs?: number;
  /** Longest pause between reconnect attempts, of the watch and of the connection (default 2000 ms). */
  maxWatchBackoffMs?: number;
  /** etcd's password auth (the user needs read/write on the prefix). */
  auth?: { username: string; password: string };
  /** TLS (https:// endpoints): the CA that signed etcd's certificate, and a client certificate when etcd asks for one. */
  tls?: { ca: Buffer; cert?: Buffer; key?: Buffer };
}

type WatchBackoff = NonNullable<NonNullable<IOptions['faultHandling']>['watchBackoff']>;

const entryOf = (kv: IKeyValue): KvEntry => ({ key: kv.key.toString(), value: kv.value.toString(), modRevision: String(kv.mod_revision) });

/** A KvClient over the `etcd3` package (gRPC), loaded on first use: it costs ~350 ms to import. */
export function createEtcdClient(opts: EtcdClientOptions): KvClient {
  const callTimeoutMs = opts.callTimeoutMs ?? 3000;
  let loading: Promise<Etcd3> | undefined;
  const etcd = () =>
    (loading ??= import('etcd3').then(
      ({ Etcd3 }) =>
        new Etcd3({
          hosts: opts.endpoints,
          ...(opts.auth ? { auth: opts.auth } : {}),
          ...(opts.tls ? { credentials: { rootCertificate: opts.tls.ca, ...(opts.tls.key ? { privateKey: opts.tls.key } : {}), ...(opts.tls.cert ? { certChain: opts.tls.cert } : {}) } } : {}),
          dialTimeout: callTimeoutMs,
          grpcOptions: {
            // gRPC's reconnect backoff grows to 120 s by default: after a long outage a node would
            // take minutes to notice etcd is back. Keepalive pings find a peer that vanished without
            // a reset (etcd refuses pings more often than every 5 s).
            'grpc.initial_reconnect_backoff_ms': 200,
            'grpc.max_reconnect_backoff_ms': opts.maxWatchBackoffMs ?? 2000,
            'grpc.keepalive_time_ms': 10_000,
            'grpc.keepalive_timeout_ms': 5_000,
          },
          defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + callTimeoutMs }),
          // etcd3 calls .next() on this, as on its own default (a factory); its typings ask for an instance.
          faultHandling: { watchBackoff: new ExponentialBackoff({ initialDelay: 100, maxDelay: opts.maxWatchBackoffMs ?? 2000 }) as unknown as WatchBackoff },
        }),
    ));

  return {
    async range(prefix) {
      const client = await etcd();
      const res = await client.getAll().prefix(prefix).exec();
      return { entries: res.kvs.map(entryOf), revision: String(res.header.revision) };
    },

    async get(key) {
      const client = await etcd();
      const res = await client.get(key).exec();
      const kv = res.kvs[0];
      return kv ? entryOf(kv) : undefined;
    },

    async compareAndPut(key, value, expectedModRevision) {
      const client = await etcd();
      // A missing key compares as mod revision 0 in etcd, so '0' means "create only".
      const res = await client.if(key, 'Mod', '==', expectedModRevision).then(client.put(key).value(value)).commit();
      return res.succeeded ? String(res.header.revision) : undefined;
    },

    async watchPrefix(prefix, fromRevision, h) {
      const client = await etcd();
      const watcher: Watcher = await client.watch().prefix(prefix).startRevision(fromRevision).create();
      let lost = false;
      watcher.on('put', (kv) => h.onEvent({ type: 'put', ...entryOf(kv) }));
      watcher.on('delete', (kv) => h.onEvent({ type: 'delete', key: kv.key.toString(), modRevision: String(kv.mod_revision) }));
      watcher.on('connected', () => {
        h.onConnected?.(lost);
        lost = false;
      });
      watcher.on('disconnected', (err) => {
        if (!lost) h.onDisconnected?.(err?.message ?? 'stream lost');
        lost = true;
      });
      watcher.on('error', (err) => h.onError?.(err?.message ?? String(err)));
      return () => watcher.cancel().catch(() => undefined);
    },

    async leasedKey(key, ttlSeconds, h) {
      const client = await etcd();
      const lease = client.lease(ttlSeconds, { autoKeepAlive: true });
      lease.on('lost', (err) => h?.onLost?.(err?.message ?? 'lease lost'));
      await lease.grant();
      return {
        async put(value) {
          await lease.put(key).value(value).exec();
        },
        async revoke() {
          await lease.revoke().catch(() => undefined);
        },
      };
    },

    close() {
      void loading?.then((client) => client.close()).catch(() => undefined);
    },
  };
}
