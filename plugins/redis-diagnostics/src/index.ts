// redis-diagnostics: a diagnostics plugin for Redis (standalone, sentinel, cluster) built only on
// plugway/sdk. Default export: a factory (config) => plugin; the config holds the thresholds.
import { createDiagnosticsPlugin, type BuiltDiagnosticsPlugin } from 'plugway/sdk';
import { resolveConfig } from './config.js';
import { DESTRUCTIVE_ACTIONS, SAFE_ACTIONS, runAction } from './actions.js';
import { CATEGORIES, PLUGIN_ID, RedisSession } from './session.js';

export { CATEGORIES } from './session.js';
export { ACTIONS, SAFE_ACTIONS, DESTRUCTIVE_ACTIONS } from './actions.js';
export { DEFAULTS } from './config.js';

export type RedisDiagnosticsPlugin = BuiltDiagnosticsPlugin;

export function createRedisDiagnostics(config: Record<string, unknown> = {}): RedisDiagnosticsPlugin {
  return createDiagnosticsPlugin({
    id: PLUGIN_ID,
    supportedVersions: ['>=5.0.0'],
    config: (ctx) => resolveConfig(config, ctx?.config),
    open: (target, cfg) => RedisSession.open(target, cfg),
    categories: CATEGORIES,
    // The KubeStack seed's names (--category connection …): broker, consumer, topic and innodb do not apply.
    categoryAliases: { connection: ['clients'], performance: ['latency', 'stats'], memory: ['memory'], replication: ['replication', 'topology'], persistence: ['persistence'] },
    example: 'redis://host:6379',
    actions: { safe: SAFE_ACTIONS, destructive: DESTRUCTIVE_ACTIONS, run: runAction },
  });
}

// Not definePlugin(createRedisDiagnostics): its factory overload would widen the type to PluginBase.
export default createRedisDiagnostics;
