// The host configuration (plugway.yaml) after merging file, PLUGWAY_* environment and flags,
// interpolation and defaults. YAML keys are snake_case; durations are normalized to ms here.
import type { ConfigRoute } from './config-routes.js';

import type { FetchPolicy } from '../runtimes/fetch-policy.js';

export interface CircuitBreakerSettings {
  /** Consecutive failures that open the circuit. Seed default: 5. */
  failureThreshold: number;
  /** How long the circuit stays open before a half-open trial, ms. Seed default: 30 s. */
  openTimeoutMs: number;
  /** Calls let through while half-open. Seed default: 1. */
  halfOpenLimit: number;
}

export interface BulkheadSettings {
  /** Max concurrent calls per plugin. */
  maxConcurrent: number;
  /** Calls that may wait for a slot (0: refuse at once). */
  queue: number;
}

export interface GatewayLimits {
  /** The request line and headers must arrive within this, ms. */
  headersTimeoutMs: number;
  /** The whole request (headers and body) must arrive within this, ms. */
  requestTimeoutMs: number;
  /** Longest pause between two chunks of a request body, ms. */
  bodyIdleTimeoutMs: number;
  /** Open connections the gateway accepts; more are closed at once. */
  maxConnections: number;
  /** Open connections per client IP (with trust_proxy: requests in flight per forwarded client IP). */
  maxConnectionsPerIp: number;
  /** Largest request line + headers, bytes. */
  maxHeaderBytes: number;
}

export interface PluginOverrides {
  enabled: boolean;
  /** Middleware priority override (higher runs first). */
  priority?: number;
  /** Route prefix for this plugin's endpoints (resolves route conflicts). */
  prefix?: string;
  /** The plugin's config, validated against its config_schema. */
  config: Record<string, unknown>;
  /** Extra dependencies, in the manifest's string form ("x >= 1.0.0"). */
  dependencies: string[];
  /** Allow-list of roles for every endpoint of this plugin (empty: no extra restriction). */
  roles: string[];
  /** Whether the gateway's /ready waits for this plugin (default true). */
  required: boolean;
  timeoutMs?: number;
  circuitBreaker?: Partial<CircuitBreakerSettings>;
  bulkhead?: Partial<BulkheadSettings>;
  /** Feature flag overrides. */
  flags: Record<string, boolean>;
  /** kind: protocol — the port/host to listen on instead of the manifest's `listen`. */
  listen?: { port?: number; host?: string };
}

export interface HostConfig {
  /** The file it came from, if any. */
  file?: string;
  plugins: {
    enabled: boolean;
    /** Folders searched for <dir>/<plugin>/plugin.yaml, resolved against the config file's folder. */
    directories: string[];
    autoLoad: boolean;
    hotReload: boolean;
    reloadIntervalMs: number;
    maxPlugins: number;
    defaultTimeoutMs: number;
    /** Deadline for stopping everything on shutdown. */
    shutdownTimeoutMs: number;
    configs: Record<string, PluginOverrides>;
    /** CovetPy's keys (docs/configuration.md): false starts plugins in id order, each needing its dependencies already running. */
    autoResolveDependencies?: boolean;
    /** True: a dependency cycle starts in id order with a warning instead of failing its members. */
    allowCircularDependencies?: boolean;
    /** True: plugins from disk declared `inprocess` run in a worker. */
    sandboxEnabled?: boolean;
    /** Default resources.memory (MB) for plugins from disk that set none. */
    memoryLimitMb?: number;
    /** Default resources.cpu (share of one core) for plugins from disk that set none; measured, degrading health above it. */
    cpuLimit?: number;
  };
  gateway: {
    host: string;
    port: number;
    /** Max request body, bytes. */
    bodyLimit: number;
    /** Trust X-Forwarded-For / X-Real-IP (only behind a proxy you run). */
    trustProxy: boolean;
    auth: { plugin?: string };
    rateLimit: { store: 'memory' | 'redis'; redisUrl?: string; keyPrefix: string };
    circuitBreaker: CircuitBreakerSettings;
    bulkhead: BulkheadSettings;
    admin: {
      enabled: boolean;
      token?: string;
      /**
       * Host header names (besides IP literals and localhost) the admin API and dashboard answer to;
       * any other name is refused, so a DNS-rebinding page cannot reach them through the browser.
       */
      allowedHosts: string[];
    };
    /** Largest response body a plugin may return, bytes. */
    maxResponseBytes: number;
    /** WebSocket endpoints: bytes a connection may have unsent before it is closed as a slow reader (1008). */
    websocket?: { maxBufferedBytes: number };
    /** Slow-client defences (docs/security.md). */
    limits: GatewayLimits;
    /** `Content-Security-Policy: sandbox …` on every plugin response (a plugin page gets an origin of its own). */
    sandboxPluginResponses: boolean;
    /** /metrics behind a bearer token and/or on a listener of its own. */
    metrics: { token?: string; port?: number; host?: string };
    /** HTTPS listener: PEM files (re-read when they change or on SIGHUP); http2 adds HTTP/2 beside HTTP/1.1. */
    tls?: { cert: string; key: string; http2: boolean };
  };
  state: {
    dir: string;
    store: 'file' | 'etcd';
    /** username/password: etcd's password auth; tls: files of the CA (and a client cert and key) for https:// endpoints. */
    etcd: { endpoints: string[]; prefix: string; username?: string; password?: string; tls?: { ca?: string; cert?: string; key?: string } };
    /** Versions kept per plugin for rollback. */
    keepVersions: number;
  };
  reload: {
    /** Watch window after a cut-over, ms (default 30 s). */
    watchWindowMs: number;
    /** Error rate (0..1) in the window that triggers a rollback. */
    errorRateThreshold: number;
    /** Calls needed in the window before the rate counts. */
    minCalls: number;
    /** How long the old version may drain, ms. */
    drainTimeoutMs: number;
  };
  /** ctx.storage: the host's memory (default) or a storage plugin (kind: storage), e.g. redis-storage. */
  storage: { plugin?: string };
  cluster: {
    /** This node's id in the cluster (default `<hostname>-<6 hex of the state dir path>`, stable across restarts). */
    nodeId?: string;
    /** The URL other nodes and operators reach this gateway at (default http://<gateway.host>:<port>). */
    address?: string;
    /** Seconds a node stays listed after it stops renewing its lease (default 10). */
    nodeTtlS: number;
    /** NATS for domain events across nodes and the package store; off when no servers are set. */
    nats: { servers: string[]; user?: string; pass?: string; token?: string; buffer: number; tls?: { ca?: string; cert?: string; key?: string } };
  };
  runtimes: {
    /**
     * After a message, a worker or wasm thread (and the main thread, while it awaits their answers)
     * looks for the next one once per event-loop turn for this many µs before sleeping. 0: sleep at once.
     */
    pollWindowUs: number;
    /**
     * In-process plugins: every call runs in the plugin's AsyncLocalStorage scope, so an error from
     * anything it started is attributed to it. False saves Node 20's AsyncLocalStorage tax (on every
     * promise and async resource in the process) and attributes by stack frame only.
     */
    asyncContext: boolean;
    fetch: FetchPolicy;
  };
  logging: {
    level: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
    /** Extra pino redact paths. */
    redact: string[];
    /** Whether the gateway's log lines carry pino's `time` (request lines otherwise have exactly the seed's nine fields). */
    timestamp: boolean;
  };
  /** Signing keys trusted by `plugway plugin install` (ed25519 public keys, PEM or base64 DER). */
  trustedKeys: string[];
  /** plugway.yaml `routes:`: plain proxy routes, each served as a remote plugin named after it. */
  routes?: ConfigRoute[];
  /** plugway.yaml `alerts:` (docs/alerts.md); absent in configs built by hand: the defaults apply. */
  alerts?: import('./config-alerts.js').AlertsConfig;
  /** Process plugins run under bubblewrap (plugway.yaml `sandbox`, default true); false runs them unsandboxed, with a warning at every start. */
  sandbox: boolean;
}
