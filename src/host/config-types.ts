// The host configuration (plugway.yaml) after merging file, PLUGWAY_* environment and flags,
// interpolation and defaults. YAML keys are snake_case; durations are normalized to ms here.
import type { ConfigRoute } from './config-routes.js';

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
    admin: { enabled: boolean; token?: string };
    /** Largest response body a plugin may return, bytes. */
    maxResponseBytes: number;
  };
  state: {
    dir: string;
    store: 'file' | 'etcd';
    etcd: { endpoints: string[]; prefix: string };
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
    nats: { servers: string[]; user?: string; pass?: string; token?: string; buffer: number };
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
}
