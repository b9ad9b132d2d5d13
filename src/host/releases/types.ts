// The releases' shared types and their contract: what `host.releases` offers (Releases), what
// a canary is made of (ReleaseSteps), what a release reports. No module here imports another's class.

import type { VersionStore } from '../../state/versions.js';
import type { HostConfig } from '../config-types.js';
import type { DiskCandidate } from '../loader.js';
import type { PluginRecord } from '../registry.js';
import type { PluginInstance } from '../types.js';
import type { CanaryRequest, canaryStatus } from './canary.js';
import type { SwapDeps } from './hot-swap.js';
import type { TripCause, WatchRules } from './rollback-watch.js';

export type ReleaseTrigger = 'api' | 'cli' | 'watch' | 'canary' | 'rollback' | 'auto_rollback' | 'restart' | 'host' | 'cluster';

export interface SwapReport {
  instance: PluginInstance;
  from: string;
  to: string;
  hash?: string;
  trigger: ReleaseTrigger;
  /** From the trigger to the switch of the active version, ms. */
  cutOverMs: number;
  drainMs: number;
  drained: boolean;
  /** The reloaded content was the active version's own (same content hash): nothing was swapped. */
  unchanged?: boolean;
}

export interface RolledBack {
  id: string;
  from: string;
  to: string;
  reason: string;
  cause: TripCause | 'manual';
  automatic: boolean;
  canary: boolean;
}

export interface ReleaseDeps extends SwapDeps {
  config: HostConfig;
}

export type CanaryStatus = ReturnType<typeof canaryStatus>;

/** `host.releases`: reloads, rollbacks, canaries and kept versions of a host's plugins. */
export interface Releases {
  /** Where versions are kept (attachVersions); undefined until then. */
  readonly versions?: VersionStore;
  /** Keeps versions in `store` from now on: the running disk plugins are kept as their first version, in the background. */
  attachVersions(store: VersionStore): Promise<void>;
  /** Resolves when `id`'s running version is kept (without `id`: every version attachVersions found). */
  whenKept(id?: string): Promise<void>;
  /** After a restart: serve the version a rollback pinned, if the files on disk are another one. */
  applyDesired(): Promise<Array<{ id: string; version: string }>>;
  /** A blue-green reload from disk; `force` swaps even when the content is the active version's (a config change). */
  reload(id: string, trigger?: ReleaseTrigger, opts?: { force?: boolean }): Promise<SwapReport>;
  rollback(id: string, ref?: string, trigger?: ReleaseTrigger): Promise<SwapReport>;
  canary(id: string, req: CanaryRequest): Promise<CanaryStatus>;
  canaryStatus(id: string): CanaryStatus | undefined;
  promote(id: string, trigger?: ReleaseTrigger): Promise<SwapReport>;
  abort(id: string, reason?: string): Promise<void>;
  /** The running watch window of `id`, if any. */
  watching(id: string): { version: string; standby: string; calls: number; errors: number; since: string } | undefined;
  /** The content hash of `id`'s active version when known. */
  hashKnown(id: string): string | undefined;
  /** Where `id` is read from on a reload (its folder on disk); undefined for plugins given in code. */
  originOf(id: string): DiskCandidate | undefined;
  history(): readonly RolledBack[];
}

/** The release manager's steps a canary is made of (each called under the plugin's lock). */
export interface ReleaseSteps {
  readonly deps: ReleaseDeps;
  readonly versions?: VersionStore;
  readonly rules: Pick<WatchRules, 'windowMs' | 'errorRateThreshold' | 'minCalls'>;
  require(id: string): PluginRecord;
  sourceOf(rec: PluginRecord): DiskCandidate | undefined;
  hashOf(rec: PluginRecord): Promise<string | undefined>;
  bringUpBeside(id: string, source: DiskCandidate, knownHash?: string): Promise<{ rec: PluginRecord; hash: string }>;
  settleWatch(id: string, keep?: PluginRecord): Promise<void>;
  switchTo(old: PluginRecord, next: PluginRecord, hash: string, trigger: ReleaseTrigger, t0: number, opts: { watch: boolean; pinned: boolean; reason?: string }): Promise<SwapReport>;
  noteRollback(r: RolledBack): void;
  emit(type: string, data: unknown): Promise<void>;
}
