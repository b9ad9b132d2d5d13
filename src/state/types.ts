// The desired state an operator sets through the admin API and that survives restarts.
// A file store by default; an etcd store can implement the same interface for a cluster.

export interface PluginDesiredState {
  enabled: boolean;
  /** The version an operator pinned (reserved for hot swap / rollback). */
  version?: string;
  /** The plugin's config as last set through the admin API (PUT /admin/plugins/:id/config); replaces plugway.yaml's. */
  config?: Record<string, unknown>;
  updatedAt: string;
}

export interface DesiredState {
  formatVersion: 1;
  plugins: Record<string, PluginDesiredState>;
}

export interface StateStore {
  /** Reads the stored state (empty when there is none yet). */
  load(): Promise<DesiredState>;
  /** The last loaded or written state, without I/O. */
  snapshot(): DesiredState;
  setEnabled(id: string, enabled: boolean): Promise<void>;
  update(id: string, patch: Partial<Omit<PluginDesiredState, 'updatedAt'>>): Promise<void>;
  /**
   * Stores shared between nodes (etcd) deliver changes written elsewhere; the listener sees
   * each changed plugin once. Returns an unsubscribe function.
   */
  watch?(listener: (change: DesiredStateChange) => void): () => void;
  /** Throws PLW_ERR_STATE_UNAVAILABLE when a write cannot reach the store now (shared stores). */
  assertWritable?(): void;
  /** Releases connections and watches (stores that hold none may omit it). */
  close?(): Promise<void>;
}

export interface DesiredStateChange {
  id: string;
  /** The plugin's desired state now; undefined when its entry was deleted. */
  state?: PluginDesiredState;
  /** The whole desired state after the change (same object as snapshot()). */
  desired: DesiredState;
}

export interface AuditEntry {
  time: string;
  /** Who: `token:<first 12 hex of sha256(token)>`, or `anonymous`. Never the token. */
  actor: string;
  action: string;
  target: string;
  result: 'ok' | 'error' | 'denied';
  code?: string;
  message?: string;
}
