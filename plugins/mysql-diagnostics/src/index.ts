// mysql-diagnostics: checks a MySQL or MariaDB server against the checklist in
// docs/diagnostics-mysql.md. Default export: a factory receiving the validated config.
import type { DiagnoseOptions, DiagnosticResult, DiagnosticTarget, DiagnosticsPlugin, PluginContext, PluginRequest, PluginResponse } from 'plugway/sdk';
import { runAction } from './actions.js';
import { resolveConfig, type MysqlDiagnosticsConfig } from './config.js';
import { handleDiagnoseRequest } from './http.js';
import { MysqlSession } from './session.js';

export { CATEGORIES } from './checks/index.js';
export { DEFAULT_CONFIG } from './config.js';
export { ACTIONS, DESTRUCTIVE_ACTIONS } from './actions.js';

export default function createMysqlDiagnostics(options: Partial<MysqlDiagnosticsConfig> = {}): DiagnosticsPlugin<Partial<MysqlDiagnosticsConfig>> {
  let config = resolveConfig(options);
  let session = new MysqlSession(config);
  // The host hands the validated config again in ctx; honour it when it differs from the factory's.
  const use = (ctx?: PluginContext<Partial<MysqlDiagnosticsConfig>>) => {
    if (ctx?.config && ctx.config !== options) config = resolveConfig(options, ctx.config);
    return config;
  };
  return {
    supportedVersions: ['mysql >=5.7', 'mariadb >=10.3'],
    async connect(target: DiagnosticTarget, ctx) {
      const cfg = use(ctx);
      await session.disconnect();
      session = new MysqlSession(cfg);
      await session.connect(target);
    },
    async disconnect() {
      await session.disconnect();
    },
    async diagnose(opts: DiagnoseOptions, ctx): Promise<DiagnosticResult> {
      use(ctx);
      return session.diagnose(opts, ctx?.signal);
    },
    async getMetrics() {
      return session.getMetrics();
    },
    async execute(action: string, params: Record<string, unknown>, ctx) {
      return runAction(session, use(ctx), action, params ?? {});
    },
    async handleRequest(req: PluginRequest, ctx): Promise<PluginResponse> {
      return handleDiagnoseRequest(req, use(ctx));
    },
    async healthCheck() {
      return { status: 'healthy', message: 'mysql-diagnostics connects per request; nothing to check at rest' };
    },
    async stop() {
      await session.disconnect();
    },
  };
}
