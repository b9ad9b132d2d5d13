// mysql-diagnostics: checks a MySQL or MariaDB server against the checklist in
// docs/diagnostics-mysql.md. Default export: a factory receiving the validated config.
import { createDiagnosticsPlugin, type BuiltDiagnosticsPlugin } from 'plugway/sdk';
import { DESTRUCTIVE_ACTIONS, SAFE_ACTIONS, runAction } from './actions.js';
import { CATEGORIES } from './checks/index.js';
import { resolveConfig, type MysqlDiagnosticsConfig } from './config.js';
import { MysqlSession, PLUGIN_ID } from './session.js';

export { CATEGORIES } from './checks/index.js';
export { DEFAULT_CONFIG } from './config.js';
export { ACTIONS, DESTRUCTIVE_ACTIONS } from './actions.js';

export default function createMysqlDiagnostics(options: Partial<MysqlDiagnosticsConfig> = {}): BuiltDiagnosticsPlugin<Partial<MysqlDiagnosticsConfig>> {
  return createDiagnosticsPlugin({
    id: PLUGIN_ID,
    supportedVersions: ['mysql >=5.7', 'mariadb >=10.3'],
    // The host hands the validated config again in ctx; it goes over the factory's.
    config: (ctx) => resolveConfig(options, ctx?.config),
    open: (target, config) => MysqlSession.open(target, config),
    categories: CATEGORIES,
    // The KubeStack seed's names (--category innodb …): broker, consumer and topic do not apply.
    categoryAliases: {
      connection: ['connections'],
      performance: ['queries', 'locks'],
      memory: ['innodb', 'resources'],
      replication: ['replication'],
      persistence: ['binlog', 'transactions'],
      innodb: ['innodb'],
    },
    example: 'mysql://user@host:3306/db',
    actions: { safe: SAFE_ACTIONS, destructive: DESTRUCTIVE_ACTIONS, run: runAction },
  });
}
