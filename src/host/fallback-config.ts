// A complete HostConfig with plugway's defaults, for hosts created without a plugway.yaml.
// (config.ts reads and validates plugway.yaml; this is only the in-code fallback.)

import type { HostConfig } from './config-types.js';

export function fallbackHostConfig(): HostConfig {
  return {
    plugins: {
      enabled: true,
      directories: [],
      autoLoad: true,
      hotReload: false,
      reloadIntervalMs: 1000,
      maxPlugins: 1000,
      defaultTimeoutMs: 30_000,
      shutdownTimeoutMs: 30_000,
      configs: {},
    },
    gateway: {
      host: '127.0.0.1',
      port: 8080,
      bodyLimit: 1024 * 1024,
      trustProxy: false,
      auth: {},
      rateLimit: { store: 'memory', keyPrefix: 'plugway' },
      circuitBreaker: { failureThreshold: 5, openTimeoutMs: 30_000, halfOpenLimit: 1 },
      bulkhead: { maxConcurrent: 100, queue: 0 },
      admin: { enabled: false },
      maxResponseBytes: 10 * 1024 * 1024,
    },
    state: { dir: '.plugway', store: 'file', etcd: { endpoints: [], prefix: '/plugway' }, keepVersions: 3 },
    reload: { watchWindowMs: 30_000, errorRateThreshold: 0.05, minCalls: 20, drainTimeoutMs: 10_000 },
    logging: { level: 'info', redact: [] },
    trustedKeys: [],
  };
}
