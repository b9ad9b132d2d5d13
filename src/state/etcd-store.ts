// The desired state in etcd, shared by every gateway node: one key per plugin
// (<prefix>/plugins/<id>, JSON PluginDesiredState), compare-and-swap writes, a prefix watch.

import type { Logger } from 'pino';
import { PlugwayError, isPlugwayError, reasonOf } from '../errors.js';
import { createEtcdClient, type EtcdClientOptions, type KvClient, type KvEvent } from './etcd-client.js';
import type { DesiredState, DesiredStateChange, PluginDesiredState, StateStore } from './types.js';
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from './atomic-write.js';

async function readSnapshot(file: string): Promise<DesiredState | undefined> {
  try {
    const v = JSON.parse(await readFile(file, 'utf8')) as DesiredState;
    return v && v.formatVersion === 1 && v.plugins && typeof v.plugins === 'object' ? v : undefined;
  } catch {
    return undefined;
  }
}

export interface EtcdStateStoreOptions {
  /** http://host:port URLs of the etcd members. */
  endpoints: string[];
  /** Key prefix (default `/plugway`); keys are `<prefix>/plugins/<id>`. */
  prefix?: string;
  logger?: Logger;
  /** Another KvClient (tests, or a replacement for `etcd3`). */
  client?: KvClient;
  /** Password auth and TLS for the default client. */
  auth?: EtcdClientOptions['auth'];
  tls?: EtcdClientOptions['tls'];
  /** Deadline per etcd call (default 3000 ms). */
  callTimeoutMs?: number;
  /** Compare-and-swap attempts per write before PLW_ERR_STATE_CONFLICT (default 8). */
  maxAttempts?: number;
  /**
   * A local copy of the last state read from etcd (`<state dir>/cluster-snapshot.json`): a node that
   * starts while etcd is away boots from it and resyncs when etcd answers.
   */
  snapshotFile?: string;
  /** Pause between attempts to reach etcd after a start from the snapshot (default 1000 ms). */
  retryMs?: number;
}

type Listener = (change: DesiredStateChange) => void;

/** Newer-than on decimal revision strings (int64 in etcd; BigInt keeps them exact). */
const newer = (a: string, b: string | undefined) => b === undefined || BigInt(a) > BigInt(b);

export class EtcdStateStore implements StateStore {
  readonly keyPrefix: string;
  private readonly client: KvClient;
  private readonly where: string;
  private readonly maxAttempts: number;
  private state: DesiredState = { formatVersion: 1, plugins: {} };
  /** The mod revision each plugin's entry was last seen or written at: older events are stale. */
  private readonly revisions = new Map<string, string>();
  private readonly listeners = new Set<Listener>();
  private stopWatch?: () => Promise<void>;
  private closed = false;

  constructor(private readonly opts: EtcdStateStoreOptions) {
    const prefix = (opts.prefix ?? '/plugway').replace(/\/+$/, '');
    this.keyPrefix = `${prefix}/plugins/`;
    this.where = `etcd (${opts.endpoints.join(', ')})`;
    this.maxAttempts = opts.maxAttempts ?? 8;
    this.client = opts.client ?? createEtcdClient({ endpoints: opts.endpoints, callTimeoutMs: opts.callTimeoutMs, auth: opts.auth, tls: opts.tls });
  }

  /** The key-value client the store talks to (the cluster's node registry shares its connection). */
  get kv(): KvClient {
    return this.client;
  }

  /** The cluster prefix this store was given (without a trailing slash). */
  get prefix(): string {
    return (this.opts.prefix ?? '/plugway').replace(/\/+$/, '');
  }

  keyOf(id: string): string {
    return this.keyPrefix + id;
  }

  /**
   * Reads every entry and, the first time, starts watching the prefix from that revision. With etcd
   * away and a snapshot on disk, serves the snapshot and keeps trying in the background.
   */
  async load(): Promise<DesiredState> {
    try {
      return await this.loadFromEtcd();
    } catch (err) {
      const snap = this.opts.snapshotFile ? await readSnapshot(this.opts.snapshotFile) : undefined;
      if (!snap || this.closed) throw err;
      this.state = snap;
      this.fromSnapshot = true;
      this.opts.logger?.warn(
        { state_store: this.where, snapshot: this.opts.snapshotFile, err: { message: reasonOf(err) } },
        'etcd is unreachable: serving the last desired state this node saw; it resyncs when etcd answers',
      );
      this.retryLater();
      return this.state;
    }
  }

  /** True while the state comes from the local snapshot (etcd not reached since start). */
  fromSnapshot = false;
  /** The watch stream is down (etcd lost); writes are refused until it is back. */
  private lost = false;

  assertWritable(): void {
    if (this.closed || this.fromSnapshot || this.lost) {
      throw new PlugwayError('PLW_ERR_STATE_UNAVAILABLE', {
        store: this.where,
        reason: this.fromSnapshot ? 'not reached since this node started (serving its local snapshot)' : 'the connection is lost; this node serves its last known state until etcd answers',
      });
    }
  }
  private retryTimer?: NodeJS.Timeout;

  private retryLater(): void {
    if (this.closed || this.retryTimer) return;
    this.retryTimer = setTimeout(async () => {
      this.retryTimer = undefined;
      const before = this.state;
      try {
        await this.loadFromEtcd();
      } catch {
        this.retryLater();
        return;
      }
      this.fromSnapshot = false;
      this.opts.logger?.info({ state_store: this.where }, 'etcd answers again: resynced the desired state');
      const ids = new Set([...Object.keys(before.plugins), ...Object.keys(this.state.plugins)]);
      for (const id of ids) this.emit({ id, ...(this.state.plugins[id] ? { state: this.state.plugins[id] } : {}), desired: this.state });
    }, this.opts.retryMs ?? 1000);
    this.retryTimer.unref();
  }

  private saveSnapshot(): void {
    const file = this.opts.snapshotFile;
    if (!file) return;
    const text = `${JSON.stringify(this.state)}\n`;
    this.snapshotWrites = this.snapshotWrites.then(() =>
      writeFileAtomic(file, text).catch((err) => this.opts.logger?.warn({ file, err: { message: reasonOf(err) } }, 'could not save the local desired-state snapshot')),
    );
  }
  private snapshotWrites: Promise<void> = Promise.resolve();

  private async loadFromEtcd(): Promise<DesiredState> {
    const range = await this.io(() => this.client.range(this.keyPrefix));
    const plugins: Record<string, PluginDesiredState> = {};
    this.revisions.clear();
    for (const e of range.entries) {
      const id = e.key.slice(this.keyPrefix.length);
      const parsed = this.parse(e.value);
      if (!parsed) {
        throw new PlugwayError('PLW_ERR_STATE_CORRUPT', {
          file: `${this.where} key ${e.key}`,
          reason: `expected JSON like {"enabled":true}; fix it or delete it (etcdctl del ${e.key})`,
        });
      }
      plugins[id] = parsed;
      this.revisions.set(id, e.modRevision);
    }
    this.state = { formatVersion: 1, plugins };
    this.saveSnapshot();
    if (!this.stopWatch && !this.closed) {
      this.stopWatch = await this.io(() =>
        this.client.watchPrefix(this.keyPrefix, String(BigInt(range.revision) + 1n), {
          onEvent: (ev) => this.onEvent(ev),
          onDisconnected: (reason) => {
            this.lost = true;
            this.opts.logger?.warn({ state_store: this.where, err: { message: reason } }, 'lost the desired-state store; serving the last known desired state and retrying');
          },
          onConnected: (reconnected) => {
            this.lost = false;
            if (reconnected) void this.resync();
          },
          onError: (reason) => this.opts.logger?.error({ state_store: this.where, err: { message: reason } }, 'desired-state watch failed'),
        }),
      );
    }
    return this.state;
  }

  snapshot(): DesiredState {
    return this.state;
  }

  setEnabled(id: string, enabled: boolean): Promise<void> {
    return this.update(id, { enabled });
  }

  /** Read-modify-write of one key, retried while another node wrote it in between. */
  async update(id: string, patch: Partial<Omit<PluginDesiredState, 'updatedAt'>>): Promise<void> {
    const key = this.keyOf(id);
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      const cur = await this.io(() => this.client.get(key));
      const prev = cur ? this.parse(cur.value) : undefined;
      const next: PluginDesiredState = { ...prev, ...patch, enabled: patch.enabled ?? prev?.enabled ?? true, updatedAt: new Date().toISOString() };
      const rev = await this.io(() => this.client.compareAndPut(key, JSON.stringify(next), cur?.modRevision ?? '0'));
      if (rev !== undefined) {
        if (newer(rev, this.revisions.get(id))) {
          this.revisions.set(id, rev);
          this.state = { formatVersion: 1, plugins: { ...this.state.plugins, [id]: next } };
          this.saveSnapshot();
        }
        return;
      }
    }
    throw new PlugwayError('PLW_ERR_STATE_CONFLICT', { id, key, attempts: this.maxAttempts });
  }

  watch(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    await this.snapshotWrites;
    this.listeners.clear();
    const stop = this.stopWatch;
    this.stopWatch = undefined;
    if (stop) await stop();
    this.client.close();
  }

  private onEvent(ev: KvEvent): void {
    if (!ev.key.startsWith(this.keyPrefix)) return;
    const id = ev.key.slice(this.keyPrefix.length);
    // Our own writes and replays after a reconnect come back too; only newer revisions count.
    if (!newer(ev.modRevision, this.revisions.get(id))) return;
    this.revisions.set(id, ev.modRevision);
    if (ev.type === 'delete') {
      const { [id]: _gone, ...rest } = this.state.plugins;
      this.state = { formatVersion: 1, plugins: rest };
      this.emit({ id, desired: this.state });
      return;
    }
    const parsed = this.parse(ev.value);
    if (!parsed) {
      this.opts.logger?.warn({ state_store: this.where, key: ev.key }, 'ignored an unreadable desired-state entry (expected JSON like {"enabled":true})');
      return;
    }
    this.state = { formatVersion: 1, plugins: { ...this.state.plugins, [id]: parsed } };
    this.emit({ id, state: parsed, desired: this.state });
  }

  /**
   * After a lost connection: re-read everything (the watch may have missed compacted revisions)
   * and hand every entry to the listeners again, so a node that changed its host while the store
   * was away converges back to the shared desired state.
   */
  private async resync(): Promise<void> {
    if (this.closed) return;
    try {
      const range = await this.io(() => this.client.range(this.keyPrefix));
      const seen = new Set<string>();
      const plugins: Record<string, PluginDesiredState> = {};
      for (const e of range.entries) {
        const id = e.key.slice(this.keyPrefix.length);
        const parsed = this.parse(e.value);
        if (!parsed) continue;
        seen.add(id);
        plugins[id] = parsed;
        if (newer(e.modRevision, this.revisions.get(id))) this.revisions.set(id, e.modRevision);
      }
      const gone = Object.keys(this.state.plugins).filter((id) => !seen.has(id));
      this.state = { formatVersion: 1, plugins };
      this.opts.logger?.info({ state_store: this.where, plugins: seen.size }, 'desired-state store reachable again; resynced');
      for (const id of seen) this.emit({ id, state: plugins[id], desired: this.state });
      for (const id of gone) this.emit({ id, desired: this.state });
    } catch (err) {
      this.opts.logger?.warn({ state_store: this.where, err: { message: reasonOf(err) } }, 'resync after reconnect failed; the watch keeps delivering changes');
    }
  }

  private emit(change: DesiredStateChange): void {
    this.saveSnapshot();
    for (const l of this.listeners) {
      try {
        l(change);
      } catch (err) {
        this.opts.logger?.error({ plugin_id: change.id, err: { message: reasonOf(err) } }, 'desired-state listener threw');
      }
    }
  }

  private parse(text: string): PluginDesiredState | undefined {
    try {
      const v = JSON.parse(text) as PluginDesiredState;
      return v && typeof v === 'object' && typeof v.enabled === 'boolean' ? v : undefined;
    } catch {
      return undefined;
    }
  }

  /** Runs an etcd call; anything it throws becomes PLW_ERR_STATE_UNAVAILABLE. */
  private async io<T>(fn: () => Promise<T>): Promise<T> {
    if (this.closed) throw new PlugwayError('PLW_ERR_STATE_UNAVAILABLE', { store: this.where, reason: 'the store is closed' });
    try {
      return await fn();
    } catch (err) {
      if (isPlugwayError(err)) throw err;
      throw new PlugwayError('PLW_ERR_STATE_UNAVAILABLE', { store: this.where, reason: reasonOf(err) }, { cause: err });
    }
  }
}
