// postgres-diagnostics: checks a PostgreSQL server against the checklist in
// docs/diagnostics-postgres.md. Default export: a factory receiving the validated config.
import { createDiagnosticsPlugin, type BuiltDiagnosticsPlugin } from 'plugway/sdk';
import { DESTRUCTIVE_ACTIONS, SAFE_ACTIONS, runAction } from './actions.js';
import { CATEGORIES } from './checks/index.js';
import { resolveConfig, type PostgresDiagnosticsConfig } from './config.js';
import { PLUGIN_ID, PostgresSession } from './session.js';

export { CATEGORIES } from './checks/index.js';
export { DEFAULT_CONFIG } from './config.js';
export { ACTIONS, DESTRUCTIVE_ACTIONS } from './actions.js';

export default function createPostgresDiagnostics(options: Partial<PostgresDiagnosticsConfig> = {}): BuiltDiagnosticsPlugin<Partial<PostgresDiagnosticsConfig>> {
  return createDiagnosticsPlugin({
    id: PLUGIN_ID,
    supportedVersions: ['>=12'],
    // The host hands the validated config again in ctx; it goes over the factory's.
    config: (ctx) => resolveConfig(options, ctx?.config),
    open: (target, config) => PostgresSession.open(target, config),
    categories: CATEGORIES,
    // The KubeStack seed's names (--category connection …): broker, consumer, topic and innodb do not apply.
    categoryAliases: { connection: ['connections', 'activity'], performance: ['queries', 'indexes', 'locks'], memory: ['cache'], replication: ['replication'], persistence: ['maintenance', 'vacuum'] },
    example: 'postgres://user@host:5432/db',
    actions: { safe: SAFE_ACTIONS, destructive: DESTRUCTIVE_ACTIONS, run: runAction },
  });
}
