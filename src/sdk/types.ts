// The plugin contract: the data that crosses between plugway and a plugin. Plain data only,
// so that the same shapes cross a worker thread or a WebAssembly boundary as JSON.

export type PluginKind = 'handler' | 'middleware' | 'auth' | 'storage' | 'provider' | 'router' | 'diagnostics' | 'action' | 'protocol';

export const PLUGIN_KINDS: readonly PluginKind[] = ['handler', 'middleware', 'auth', 'storage', 'provider', 'router', 'diagnostics', 'action', 'protocol'];

export type RuntimeType = 'inprocess' | 'worker' | 'wasm' | 'process' | 'remote';
export const RUNTIME_TYPES: readonly RuntimeType[] = ['inprocess', 'worker', 'wasm', 'process', 'remote'];

export type PluginState = 'unloaded' | 'loaded' | 'initialized' | 'running' | 'stopping' | 'stopped' | 'failed';

/** What plugway tells about a plugin (the admin API's view of it). */
export interface PluginInfo {
  id: string;
  name: string;
  version: string;
  kind: PluginKind;
  runtime: RuntimeType;
  description?: string;
  author?: string;
  license?: string;
  homepage?: string;
  capabilities: string[];
  state: PluginState;
  health: HealthState;
  enabled: boolean;
  loadedAt?: string;
  lastUsed?: string;
  error?: { code: string; message: string };
}

/** The authenticated caller, as an auth plugin describes it. */
export interface Principal {
  id: string;
  roles?: string[];
  permissions?: string[];
  claims?: Record<string, unknown>;
}

export interface PluginRequest {
  /** The request id (X-Request-Id or generated). */
  id: string;
  method: string;
  path: string;
  params: Record<string, string>;
  query: Record<string, string | string[]>;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON, a string for text bodies, bytes (Uint8Array) otherwise; undefined when empty. */
  body?: unknown;
  userId?: string;
  user?: Principal;
  /** Values that middleware put there for later plugins. */
  context: Record<string, unknown>;
}

export interface PluginResponse {
  statusCode: number;
  headers?: Record<string, string | string[]>;
  /** An object or array is sent as JSON, a string as text, a Uint8Array as bytes. */
  body?: unknown;
  metadata?: Record<string, unknown>;
}

export interface DomainEvent<T = unknown> {
  /** e.g. "user.created", "plugin.state_changed". */
  type: string;
  /** Who emitted it: a plugin id, or "plugway". */
  source: string;
  data: T;
  /** ISO 8601 time. */
  time: string;
  id?: string;
}

/**
 * `unknown` until the first check; `disabled` when the plugin runs but has deliberately nothing to do
 * (e.g. an auth plugin with no key configured): not a fault, so it never degrades the overall state.
 */
export type HealthState = 'healthy' | 'degraded' | 'unhealthy' | 'unknown' | 'disabled';

export interface HealthStatus {
  status: Exclude<HealthState, 'unknown'>;
  message?: string;
  /** What an operator can do about it (shown beside the status). */
  hint?: string;
  details?: Record<string, unknown>;
}

export interface PluginMetrics {
  requestCount: number;
  errorCount: number;
  /** Mean response time of the plugin's calls. */
  responseTimeMs: number;
  cpuUsagePercent: number;
  memoryUsageMb: number;
  activeConnections: number;
  [extra: string]: unknown;
}
