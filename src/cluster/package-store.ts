// Where deployed plugin packages live for the whole cluster: NATS JetStream's object store (etcd
// values stop at 1.5 MB). Behind a small interface, so another store (S3, a shared volume) can
// take its place without touching the deploy logic.

import { createHash } from 'node:crypto';
import { PlugwayError, reasonOf } from '../errors.js';
import { natsTls } from './event-bridge.js';

export interface PackageStore {
  /** Stores `bytes` under `name`; resolves with their sha256 (hex). */
  put(name: string, bytes: Uint8Array): Promise<string>;
  /** The bytes under `name`, or undefined when there are none. */
  get(name: string): Promise<Uint8Array | undefined>;
  close(): Promise<void>;
}

export interface NatsPackageStoreOptions {
  servers: string[];
  user?: string;
  pass?: string;
  token?: string;
  tls?: { ca?: string; cert?: string; key?: string };
  /** Object store bucket (default `plugway_packages`). */
  bucket?: string;
  /** How long a call waits for NATS (default 10 s). */
  timeoutMs?: number;
}

export const sha256Hex = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** A PackageStore in a NATS JetStream object store bucket; connects on first use. */
export function natsPackageStore(opts: NatsPackageStoreOptions): PackageStore {
  type Nats = typeof import('nats');
  let conn: Promise<{ nc: import('nats').NatsConnection; os: import('nats').ObjectStore }> | undefined;
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const open = () =>
    (conn ??= (async () => {
      const nats: Nats = await import('nats');
      const nc = await nats.connect({
        servers: opts.servers,
        name: 'plugway-packages',
        timeout: timeoutMs,
        ...(opts.user ? { user: opts.user, pass: opts.pass ?? '' } : {}),
        ...(opts.token ? { token: opts.token } : {}),
        ...natsTls(opts.tls),
        maxReconnectAttempts: -1,
      });
      const os = await nc.jetstream().views.os(opts.bucket ?? 'plugway_packages', { storage: nats.StorageType.File });
      return { nc, os };
    })().catch((err) => {
      conn = undefined;
      throw err;
    }));
  const io = async <T>(what: string, fn: (os: import('nats').ObjectStore) => Promise<T>): Promise<T> => {
    try {
      const { os } = await open();
      return await fn(os);
    } catch (err) {
      throw new PlugwayError('PLW_ERR_PACKAGE_STORE_UNAVAILABLE', { store: `NATS object store (${opts.servers.join(', ')})`, action: what, reason: reasonOf(err) }, { cause: err });
    }
  };
  return {
    put: (name, bytes) =>
      io(`put ${name}`, async (os) => {
        await os.putBlob({ name }, bytes);
        return sha256Hex(bytes);
      }),
    get: (name) => io(`get ${name}`, async (os) => (await os.getBlob(name)) ?? undefined),
    async close() {
      const c = conn;
      conn = undefined;
      if (c) await (await c.catch(() => undefined))?.nc.close().catch(() => undefined);
    },
  };
}
