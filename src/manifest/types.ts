// The normalized plugin manifest: what plugin.yaml says after parsing, aliasing and defaults.
// The YAML field names (snake_case) are documented in docs/manifest.md.

import type { PluginKind, RuntimeType } from '../sdk/types.js';
import type { RemoteSpec } from './remote.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD' | 'OPTIONS';

export interface RateLimit {
  /** Requests allowed per window. */
  points: number;
  /** Window length in seconds (1, 60 or 3600). */
  durationSec: number;
  /** As written, e.g. "100/min". */
  raw: string;
}

export interface EndpointSpec {
  /** With `{param}` placeholders, e.g. /users/{user_id}/activity. */
  path: string;
  method: HttpMethod;
  auth: 'required' | 'optional' | 'none';
  roles: string[];
  /** `resource:action` strings. */
  permissions: string[];
  rateLimit?: RateLimit;
  /** wasm only: call this export with the raw body instead of handle_request. */
  function?: string;
  description?: string;
  /** This endpoint's deadline, ms (endpoint `timeout`); absent: the plugin's. */
  timeoutMs?: number;
  /** Endpoints of one plugin with the same group share one rate limiter (a plugway.yaml route's methods and paths). */
  rateLimitGroup?: string;
  /** `websocket`: the path is upgraded to a WebSocket (docs/websocket.md); absent means http. */
  protocol?: 'http' | 'websocket';
  /** WebSocket endpoints only: limits per connection and per endpoint (defaults in docs/websocket.md). */
  websocket?: WebSocketLimits;
}

export interface WebSocketLimits {
  /** Largest message accepted; a larger one closes the connection with 1009. */
  maxMessageBytes: number;
  /** Closes a connection that sent nothing for this long (1001); 0 = never. */
  idleTimeoutMs: number;
  /** Open connections at once on this endpoint (this node); more are refused at the upgrade (503). */
  maxConnections: number;
}

export const DEFAULT_WEBSOCKET_LIMITS: WebSocketLimits = { maxMessageBytes: 1024 * 1024, idleTimeoutMs: 0, maxConnections: 10_000 };

export interface ProtocolListen {
  /** 0: any free port (the bound one is logged and listed). */
  port: number;
  host: string;
  maxConnections: number;
  /** Closes a connection that sent nothing for this long; 0 = never. */
  idleTimeoutMs: number;
  /** Bytes read per second per connection (reading pauses above it); 0 = unlimited. */
  bytesPerSecond: number;
  /** Bytes buffered without a complete frame before the connection is closed. */
  maxFrameBytes: number;
}

export const DEFAULT_PROTOCOL_LISTEN: Omit<ProtocolListen, 'port'> = { host: '127.0.0.1', maxConnections: 1000, idleTimeoutMs: 300_000, bytesPerSecond: 0, maxFrameBytes: 64 * 1024 };

export interface DependencySpec {
  /** The plugin (or service) id depended on. */
  id: string;
  /** Semver range; "*" when absent. */
  range: string;
  optional: boolean;
}

export interface FeatureFlagSpec {
  name: string;
  default: boolean;
  description?: string;
}

export interface PluginManifest {
  id: string;
  name: string;
  version: string;
  description?: string;
  author?: string;
  license?: string;
  homepage?: string;
  kind: PluginKind;
  /** Semver range of plugway versions supported; "*" when absent. */
  engine: string;
  runtime: {
    type: RuntimeType;
    /** Relative to the manifest's folder; undefined when not declared (defaults are searched). */
    entry?: string;
    instances: number;
    /** runtime.type remote: the upstreams and how they are reached. */
    remote?: RemoteSpec;
    /** process runtime: the program and its arguments (relative paths against the plugin's folder). */
    command?: string[];
  };
  resources: {
    cpu?: number;
    /** MB */
    memory?: number;
    /** ms; undefined means the host default. */
    timeoutMs?: number;
    /** MB: the process runtime's private /tmp. */
    disk?: number;
    /** Processes and threads a process plugin may have at once. */
    pids?: number;
  };
  permissions: {
    /** Hosts (host or host:port, `*.example.com`) a plugin may reach. */
    network: string[];
    env: string[];
    fs: string[];
  };
  endpoints: EndpointSpec[];
  dependencies: DependencySpec[];
  capabilities: string[];
  /** The whitelist for execute(). */
  actions: string[];
  featureFlags: FeatureFlagSpec[];
  /** Domain events from other nodes (NATS): durable subscriptions get the ones missed while down. */
  events?: { subscribe: Array<{ type: string; durable: boolean }> };
  healthCheck?: {
    endpoint?: string;
    intervalMs: number;
    timeoutMs: number;
  };
  configSchema?: Record<string, unknown>;
  /** kind: protocol — where plugway listens for it and the connection limits (docs/protocol-plugins.md). */
  listen?: ProtocolListen;
  middleware?: {
    priority: number;
    /** Route globs, e.g. "/api/*"; all routes when empty. */
    routes: string[];
  };
}

/** Where a manifest came from, for error messages and reloads. */
export interface ManifestSource {
  /** Absolute path of the manifest file (undefined for programmatic manifests). */
  file?: string;
  /** Absolute folder the entry is resolved against. */
  dir: string;
}

export interface ManifestIssue {
  code: string;
  message: string;
  file?: string;
  line?: number;
  col?: number;
  /** JSON-pointer-like field path, e.g. endpoints[0].rate_limit */
  path?: string;
  severity: 'error' | 'warning';
}

export interface ManifestLoadResult {
  manifest?: PluginManifest;
  source: ManifestSource;
  errors: ManifestIssue[];
  warnings: ManifestIssue[];
  /** The absolute entry file when found. */
  entryPath?: string;
}
