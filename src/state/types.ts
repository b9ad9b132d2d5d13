// The desired state an operator sets through the admin API and that survives restarts.
// A file store by default; an etcd store can implement the same interface for a cluster.

export interface PluginDesiredState {
  enabled: boolean;
  /** The version an operator pinned (reserved for hot swap / rollback). */
  version?: string;
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
