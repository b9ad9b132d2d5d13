// Picks the desired-state store from the config: the local file store (one node) or etcd
// (several nodes sharing one desired state).

import type { Logger } from 'pino';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { PlugwayError } from '../errors.js';
import type { HostConfig } from '../host/config-types.js';
import { EtcdStateStore } from './etcd-store.js';
import { FileStateStore } from './file-store.js';
import type { StateStore } from './types.js';

export interface CreateStateStoreOptions {
  /** The file store's folder (default config.state.dir). */
  dir?: string;
  /** Where the etcd store logs lost and regained connections. */
  logger?: Logger;
}

export function createStateStore(config: HostConfig, opts: CreateStateStoreOptions = {}): StateStore {
  if (config.state.store !== 'etcd') return new FileStateStore(opts.dir ?? config.state.dir);
  const endpoints = config.state.etcd.endpoints.map((e) => (/^https?:\/\//.test(e) ? e : `http://${e}`));
  if (endpoints.length === 0) {
    throw new PlugwayError('PLW_ERR_CONFIG_INVALID', {
      file: config.file ?? '(config)',
      path: 'state.etcd.endpoints',
      reason: 'state.store is etcd but no endpoints are set; list them (e.g. [http://127.0.0.1:2379]) or set PLUGWAY_ETCD_ENDPOINTS',
    });
  }
  const dir = opts.dir ?? config.state.dir;
  const e = config.state.etcd;
  const read = (what: string, file: string) => {
    try {
      return readFileSync(file);
    } catch (err) {
      throw new PlugwayError('PLW_ERR_CONFIG_INVALID', { file: config.file ?? '(config)', path: `state.etcd.tls.${what}`, reason: `cannot read ${file}: ${(err as Error).message}` });
    }
  };
  const tls = e.tls?.ca ? { ca: read('ca', e.tls.ca), ...(e.tls.cert ? { cert: read('cert', e.tls.cert) } : {}), ...(e.tls.key ? { key: read('key', e.tls.key) } : {}) } : undefined;
  return new EtcdStateStore({
    endpoints,
    prefix: e.prefix,
    logger: opts.logger,
    snapshotFile: join(dir, 'cluster-snapshot.json'),
    ...(e.username ? { auth: { username: e.username, password: e.password ?? '' } } : {}),
    ...(tls ? { tls } : {}),
  });
}
