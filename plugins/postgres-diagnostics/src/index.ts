// postgres-diagnostics: checks a PostgreSQL server against the checklist in
// docs/diagnostics-postgres.md. Default export: a factory receiving the validated config.
import type { DiagnoseOptions, DiagnosticResult, DiagnosticTarget, DiagnosticsPlugin, PluginContext, PluginRequest, PluginResponse } from 'plugway/sdk';
import { runAction } from './actions.js';
import { resolveConfig, type PostgresDiagnosticsConfig } from './config.js';
import { handleDiagnoseRequest } from './http.js';
import { PostgresSession } from './session.js';

export { CATEGORIES } from './checks/index.js';
export { DEFAULT_CONFIG } from './config.js';
export { ACTIONS, DESTRUCTIVE_ACTIONS } from './actions.js';

export default function createPostgresDiagnostics(options: Partial<PostgresDiagnosticsConfig> = {}): DiagnosticsPlugin<Partial<PostgresDiagnosticsConfig>> {
  let config = resolveConfig(options);
  let session = new PostgresSession(config);
  const use = (ctx?: PluginContext<Partial<PostgresDiagnosticsConfig>>) => {
    if (ctx?.config && ctx.config !== options) config = resolveConfig(options, ctx.config);
    return config;
  };
  return {
    supportedVersions: ['>=12'],
    async connect(target: DiagnosticTarget, ctx) {
      const cfg = use(ctx);
      await session.disconnect();
      session = new PostgresSession(cfg);
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
      return { status: 'healthy', message: 'postgres-diagnostics connects per request; nothing to check at rest' };
    },
    async stop() {
      await session.disconnect();
    },
  };
}
