// rabbitmq-diagnostics: a diagnostics plugin for RabbitMQ (management HTTP API + an AMQP
// handshake) built only on plugway/sdk. Default export: a factory (config) => plugin.
import { createDiagnosticsPlugin, type BuiltDiagnosticsPlugin } from 'plugway/sdk';
import { resolveConfig } from './config.js';
import { DESTRUCTIVE_ACTIONS, SAFE_ACTIONS, runAction } from './actions.js';
import { CATEGORIES, PLUGIN_ID, RabbitSession } from './session.js';

export { CATEGORIES } from './session.js';
export { ACTIONS, SAFE_ACTIONS, DESTRUCTIVE_ACTIONS } from './actions.js';
export { DEFAULTS } from './config.js';

export type RabbitDiagnosticsPlugin = BuiltDiagnosticsPlugin;

export function createRabbitDiagnostics(config: Record<string, unknown> = {}): RabbitDiagnosticsPlugin {
  return createDiagnosticsPlugin({
    id: PLUGIN_ID,
    supportedVersions: ['>=3.8.0'],
    config: (ctx) => resolveConfig(config, ctx?.config),
    open: (target, cfg) => RabbitSession.open(target, cfg),
    categories: CATEGORIES,
    // The KubeStack seed's names (--category broker …): innodb does not apply.
    categoryAliases: {
      connection: ['connectivity', 'churn'],
      performance: ['queues', 'churn'],
      memory: ['resources', 'alarms'],
      replication: ['cluster'],
      persistence: ['resources', 'alarms'],
      broker: ['cluster', 'alarms'],
      consumer: ['queues'],
      topic: ['queues'],
    },
    example: 'amqp://guest:guest@127.0.0.1:5672',
    actions: { safe: SAFE_ACTIONS, destructive: DESTRUCTIVE_ACTIONS, run: runAction },
  });
}

// Not definePlugin(createRabbitDiagnostics): its factory overload would widen the type to PluginBase.
export default createRabbitDiagnostics;
