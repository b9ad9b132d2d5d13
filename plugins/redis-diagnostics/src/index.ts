// redis-diagnostics: a diagnostics plugin for Redis (standalone, sentinel, cluster) built only on
// plugway/sdk. Default export: a factory (config) => plugin; the config holds the thresholds.
import type { DiagnosticsPlugin, DiagnoseOptions, DiagnosticTarget, PluginContext, PluginRequest } from 'plugway/sdk';
import { resolveConfig, type RedisDiagConfig } from './config.js';
import { DiagnosticsError } from './errors.js';
import { runAction } from './actions.js';
import { handleDiagnoseRequest } from './http.js';
import { PLUGIN_ID, RedisSession } from './session.js';

export { CATEGORIES } from './session.js';
export { ACTIONS, SAFE_ACTIONS, DESTRUCTIVE_ACTIONS } from './actions.js';
export { DEFAULTS } from './config.js';

type Ctx = PluginContext<Record<string, unknown>> | undefined;

export type RedisDiagnosticsPlugin = DiagnosticsPlugin & {
  execute(action: string, params: Record<string, unknown>, ctx?: Ctx): Promise<unknown>;
  handleRequest(req: PluginRequest, ctx?: Ctx): Promise<import('plugway/sdk').PluginResponse>;
};

export function createRedisDiagnostics(config: Record<string, unknown> = {}): RedisDiagnosticsPlugin {
  let session: RedisSession | undefined;
  const cfgOf = (ctx: Ctx): RedisDiagConfig => resolveConfig(config, ctx?.config);
  const connected = (): RedisSession => {
    if (!session) throw new DiagnosticsError('PLW_ERR_DIAG_NOT_CONNECTED', `Plugin ${PLUGIN_ID} is not connected; call connect(target) first`, 409);
    return session;
  };
  return {
    supportedVersions: ['>=5.0.0'],
    async connect(target: DiagnosticTarget, ctx?: Ctx) {
      if (session) await session.close();
      session = undefined;
      session = await RedisSession.open(target, cfgOf(ctx));
    },
    async disconnect() {
      const s = session;
      session = undefined;
      await s?.close();
    },
    async diagnose(options: DiagnoseOptions, ctx?: Ctx) {
      return connected().diagnose(options, ctx?.signal);
    },
    async getMetrics() {
      return connected().metrics();
    },
    async execute(action: string, params: Record<string, unknown>, ctx?: Ctx) {
      return runAction(connected(), action, params ?? {}, cfgOf(ctx).allow_destructive, PLUGIN_ID);
    },
    async handleRequest(req: PluginRequest, ctx?: Ctx) {
      return handleDiagnoseRequest(req, cfgOf(ctx), ctx?.signal);
    },
    async healthCheck() {
      return { status: 'healthy' as const, message: session ? `connected to ${session.plan.label}` : 'not connected' };
    },
    async stop() {
      await session?.close();
      session = undefined;
    },
  };
}

// Not definePlugin(createRedisDiagnostics): its factory overload would widen the type to PluginBase.
export default createRedisDiagnostics;
