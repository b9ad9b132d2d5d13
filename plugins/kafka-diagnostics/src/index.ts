// kafka-diagnostics: a diagnostics plugin for Kafka clusters (kafkajs) built only on plugway/sdk.
// Default export: a factory (config) => plugin; the config holds the thresholds.
import { createDiagnosticsPlugin, type BuiltDiagnosticsPlugin } from 'plugway/sdk';
import { resolveConfig } from './config.js';
import { DESTRUCTIVE_ACTIONS, SAFE_ACTIONS, runAction } from './actions.js';
import { CATEGORIES, KafkaSession, PLUGIN_ID } from './session.js';

export { CATEGORIES } from './session.js';
export { ACTIONS, SAFE_ACTIONS, DESTRUCTIVE_ACTIONS } from './actions.js';
export { DEFAULTS } from './config.js';

export type KafkaDiagnosticsPlugin = BuiltDiagnosticsPlugin;

export function createKafkaDiagnostics(config: Record<string, unknown> = {}): KafkaDiagnosticsPlugin {
  return createDiagnosticsPlugin({
    id: PLUGIN_ID,
    supportedVersions: ['>=0.10.0'],
    config: (ctx) => resolveConfig(config, ctx?.config),
    open: (target, cfg) => KafkaSession.open(target, cfg),
    categories: CATEGORIES,
    // The KubeStack seed's names (--category broker …): memory and innodb do not apply.
    categoryAliases: {
      connection: ['brokers'],
      performance: ['consumers', 'partitions'],
      replication: ['replication'],
      persistence: ['config'],
      broker: ['brokers'],
      consumer: ['consumers'],
      topic: ['partitions', 'replication'],
    },
    example: 'kafka://host:9092',
    actions: { safe: SAFE_ACTIONS, destructive: DESTRUCTIVE_ACTIONS, run: runAction },
  });
}

// Not definePlugin(createKafkaDiagnostics): its factory overload would widen the type to PluginBase.
export default createKafkaDiagnostics;
