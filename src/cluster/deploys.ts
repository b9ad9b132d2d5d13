// Plugin code, cluster-wide: `plugway plugin deploy` sends a (signed) package to one node, which
// checks it like a local install, stores its bytes in the cluster's package store and writes a
// deploy record in etcd (<prefix>/deploys/<id>). Every node watches those records: it fetches the
// package, checks its sha256 against the record and its signature and integrity against its own
// trusted keys, installs it, and brings the version up through the normal release path (health
// gate, watch window, automatic rollback). A node that cannot install it keeps its version and says
// why in the node list. A node that starts applies every record before it serves.

import type { KeyObject } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { isPlugwayError, PlugwayError, reasonOf } from '../errors.js';
import type { Releases } from '../host/releases/types.js';
import type { Host } from '../host/types.js';
import type { KvClient } from '../state/etcd-client.js';
import { installPlugin } from '../toolkit/install.js';
import { sha256Hex, type PackageStore } from './package-store.js';

export interface DeployRecord {
  id: string;
  version: string;
  /** sha256 (hex) of the .tgz; every node checks the bytes it fetched against it. */
  sha256: string;
  /** Object names in the package store. */
  package: string;
  signature?: string;
  deployed_at: string;
  /** The node that took the deploy, and who asked. */
  by: string;
  actor?: string;
}

export interface ClusterDeploysDeps {
  host: Host;
  kv: KvClient;
  /** The cluster prefix (state.etcd.prefix, no trailing slash). */
  prefix: string;
  store: PackageStore;
  nodeId: string;
  releases: () => Releases | undefined;
  /** Loads and starts plugins found in the plugin folders that the host does not know yet. */
  discover: () => Promise<{ added: string[]; failed: Array<{ id?: string; code: string; message: string }> }>;
  /** Where a plugin new to this node is installed (a folder the host loads plugins from). */
  deployDir: string;
  trustedKeys: readonly KeyObject[];
  problem: (p: { plugin?: string; code: string; message: string }) => void;
  /** Called after a deploy was applied (routes changed). */
  applied?: (id: string) => void;
  logger?: Logger;
}

export class ClusterDeploys {
  private readonly keyPrefix: string;
  private stopWatch?: () => Promise<void>;
  private queue: Promise<void> = Promise.resolve();
  /** id -> the record (version, object, sha256) this node last installed. */
  private readonly installed = new Map<string, string>();

  constructor(private readonly deps: ClusterDeploysDeps) {
    this.keyPrefix = `${deps.prefix}/deploys/`;
  }

  /** Checks a package as a local install would, stores it, and publishes the deploy record. */
  async deploy(pkg: Uint8Array, signature: string | undefined, actor?: string): Promise<DeployRecord> {
    const tmp = await mkdtemp(join(tmpdir(), 'plugway-deploy-'));
    try {
      const file = join(tmp, 'package.tgz');
      await writeFile(file, pkg);
      if (signature !== undefined) await writeFile(`${file}.sig`, signature);
      // The same checks every node makes, here first, so a bad package is refused before it is stored.
      const checked = await installPlugin(file, { pluginsDir: join(tmp, 'check'), trustedKeys: this.deps.trustedKeys, force: true, skipDependencyCheck: true });
      const sha = sha256Hex(pkg);
      const base = `${checked.id}@${checked.version}-${sha.slice(0, 12)}`;
      await this.deps.store.put(`${base}.tgz`, pkg);
      if (signature !== undefined) await this.deps.store.put(`${base}.tgz.sig`, Buffer.from(signature));
      const record: DeployRecord = {
        id: checked.id,
        version: checked.version,
        sha256: sha,
        package: `${base}.tgz`,
        ...(signature !== undefined ? { signature: `${base}.tgz.sig` } : {}),
        deployed_at: new Date().toISOString(),
        by: this.deps.nodeId,
        ...(actor ? { actor } : {}),
      };
      await this.write(record);
      return record;
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }

  private async write(record: DeployRecord): Promise<void> {
    const key = this.keyPrefix + record.id;
    for (let attempt = 0; attempt < 8; attempt++) {
      const cur = await this.deps.kv.get(key);
      if ((await this.deps.kv.compareAndPut(key, JSON.stringify(record), cur?.modRevision ?? '0')) !== undefined) return;
    }
    throw new PlugwayError('PLW_ERR_STATE_CONFLICT', { id: record.id, key, attempts: 8 });
  }

  /**
   * Applies every record (before the node serves), then follows new ones. With etcd away the node
   * serves what it has and catches up in the background once etcd answers.
   */
  async start(): Promise<void> {
    try {
      await this.follow();
    } catch (err) {
      this.deps.logger?.warn({ err: { message: reasonOf(err) } }, 'cluster deploy: cannot read the deploy records (etcd unreachable); serving the installed versions and retrying');
      this.retry = setTimeout(() => {
        this.retry = undefined;
        if (!this.closed) void this.start();
      }, 2000);
      this.retry.unref();
    }
  }

  private retry?: NodeJS.Timeout;
  private closed = false;

  private async follow(): Promise<void> {
    const range = await this.deps.kv.range(this.keyPrefix);
    for (const e of range.entries) await this.apply(e.value, true);
    this.stopWatch = await this.deps.kv.watchPrefix(this.keyPrefix, String(BigInt(range.revision) + 1n), {
      onEvent: (ev) => {
        if (ev.type !== 'put') return;
        this.queue = this.queue.then(() => this.apply(ev.value));
      },
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retry) clearTimeout(this.retry);
    await this.stopWatch?.();
    await this.queue.catch(() => undefined);
  }

  /** Waits until the records seen so far are applied (tests, readiness). */
  settled(): Promise<void> {
    return this.queue;
  }

  private async apply(value: string, starting = false): Promise<void> {
    let rec: DeployRecord;
    try {
      rec = JSON.parse(value) as DeployRecord;
      if (typeof rec.id !== 'string' || typeof rec.sha256 !== 'string' || typeof rec.package !== 'string') throw new Error('fields missing');
    } catch (err) {
      this.deps.logger?.warn({ err: { message: reasonOf(err) } }, 'cluster deploy: ignored an unreadable deploy record');
      return;
    }
    const { host } = this.deps;
    const mark = `${rec.version}\n${rec.package}\n${rec.sha256}`;
    if (this.installed.get(rec.id) === mark) return;
    const releases = this.deps.releases();
    // At start-up, a plugin already serving the deployed version (installed before a restart) stays.
    if (starting && host.get(rec.id)?.version === rec.version) {
      this.installed.set(rec.id, mark);
      return;
    }
    const tmp = await mkdtemp(join(tmpdir(), 'plugway-deploy-'));
    try {
      const bytes = await this.deps.store.get(rec.package);
      if (!bytes) throw new PlugwayError('PLW_ERR_PACKAGE_INVALID', { file: rec.package, reason: 'the package store has no such object' });
      const got = sha256Hex(bytes);
      if (got !== rec.sha256)
        throw new PlugwayError('PLW_ERR_INTEGRITY_MISMATCH', { file: rec.package, entry: `the whole package (sha256 ${got.slice(0, 12)}…, the deploy record says ${rec.sha256.slice(0, 12)}…)` });
      const file = join(tmp, basename(rec.package));
      await writeFile(file, bytes);
      if (rec.signature) {
        const sig = await this.deps.store.get(rec.signature);
        if (sig) await writeFile(`${file}.sig`, sig);
      }
      const target = this.targetDir(rec.id);
      await installPlugin(file, { pluginsDir: target, trustedKeys: this.deps.trustedKeys, force: true, skipDependencyCheck: true });
      this.installed.set(rec.id, mark);
      if (host.get(rec.id) && releases) {
        const r = await releases.reload(rec.id, 'cluster');
        this.deps.logger?.info({ plugin_id: rec.id, version: r.to, from: r.from }, `cluster deploy: serving ${rec.id}@${r.to}`);
      } else {
        const d = await this.deps.discover();
        const failed = d.failed.find((f) => f.id === rec.id);
        if (failed) throw new PlugwayError(failed.code as 'PLW_ERR_INTERNAL', { reason: failed.message });
        this.deps.logger?.info({ plugin_id: rec.id, version: rec.version }, `cluster deploy: installed and started ${rec.id}@${rec.version}`);
      }
      this.deps.applied?.(rec.id);
    } catch (err) {
      const code = isPlugwayError(err) ? err.code : 'PLW_ERR_INSTALL_FAILED';
      this.deps.problem({ plugin: rec.id, code, message: `refused the deployed ${rec.id}@${rec.version}: ${reasonOf(err)}` });
      this.deps.logger?.error({ plugin_id: rec.id, version: rec.version, err: { code, message: reasonOf(err) } }, 'cluster deploy: could not install the deployed version; keeping the current one');
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }

  /** The plugins folder to install `id` into: the one it was loaded from, else the deploy folder. */
  private targetDir(id: string): string {
    const rec = this.deps.host.get(id);
    const origin = rec ? this.deps.releases()?.originOf(id) : undefined;
    if (!origin) return resolve(this.deps.deployDir);
    if (!('dir' in origin))
      throw new PlugwayError('PLW_ERR_INSTALL_FAILED', { file: id, reason: `${id} was loaded from a single manifest file (${origin.manifestFile}); a deploy replaces plugin folders only` });
    if (basename(origin.dir) !== id)
      throw new PlugwayError('PLW_ERR_INSTALL_FAILED', { file: id, reason: `${id} lives in ${origin.dir}, a folder not named after its id; a deploy installs into <plugins folder>/${id}` });
    return dirname(origin.dir);
  }
}
