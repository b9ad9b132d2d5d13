// kafka-diagnostics: a diagnostics plugin for Kafka clusters (kafkajs) built only on plugway/sdk.
// Default export: a factory (config) => plugin; the config holds the thresholds.
import { definePlugin, type DiagnosticsPlugin, type DiagnoseOptions, type DiagnosticTarget, type PluginContext, type PluginRequest, type PluginResponse } from 'plugway/sdk';
import { resolveConfig, type KafkaDiagConfig } from './config.js';
import { DiagnosticsError } from './errors.js';
import { runAction } from './actions.js';
import { handleDiagnoseRequest } from './http.js';
import { KafkaSession, PLUGIN_ID } from './session.js';

export { CATEGORIES } from './session.js';
export { ACTIONS, SAFE_ACTIONS, DESTRUCTIVE_ACTIONS } from './actions.js';
export { DEFAULTS } from './config.js';

type Ctx = PluginContext<Record<string, unknown>> | undefined;

export type KafkaDiagnosticsPlugin = DiagnosticsPlugin & {
  execute(action: string, params: Record<string, unknown>, ctx?: Ctx): Promise<unknown>;
  handleRequest(req: PluginRequest, ctx?: Ctx): Promise<PluginResponse>;
};

export function createKafkaDiagnostics(config: Record<string, unknown> = {}): KafkaDiagnosticsPlugin {
  let session: KafkaSession | undefined;
  const cfgOf = (ctx: Ctx): KafkaDiagConfig => resolveConfig(config, ctx?.config);
  const connected = (): KafkaSession => {
    if (!session) throw new DiagnosticsError('PLW_ERR_DIAG_NOT_CONNECTED', `Plugin ${PLUGIN_ID} is not connected; call connect(target) first`, 409);
    return session;
  };
  return {
    supportedVersions: ['>=0.10.0'],
    async connect(target: DiagnosticTarget, ctx?: Ctx) {
      if (session) await session.close();
      session = undefined;
      session = await KafkaSession.open(target, cfgOf(ctx));
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

export default definePlugin(createKafkaDiagnostics);
