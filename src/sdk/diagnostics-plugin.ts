// The plugin object of a diagnostics plugin, built from what differs per system (how to open a
// session, the actions) so that connect/diagnose/execute/handleRequest behave the same in all.
import type { PluginContext } from './context.js';
import type { DiagnoseOptions, DiagnosticResult, DiagnosticTarget } from './diagnostics.js';
import { DiagnosticsError, notConnectedError } from './diagnostics-errors.js';
import { serveDiagnoseRequest } from './diagnostics-http.js';
import { diagnoseWithSeedCategories, type CategoryAliases } from './diagnostics-categories.js';
import type { DiagnosticsPlugin } from './plugin.js';
import type { HealthStatus, PluginRequest, PluginResponse } from './types.js';

/** One connection to one target, opened by connect() or by each HTTP request. */
export interface DiagnosticsSession {
  /** The printable target, without credentials. */
  readonly label: string;
  diagnose(options: DiagnoseOptions, signal?: AbortSignal): Promise<DiagnosticResult>;
  /** Point-in-time metrics, without a window. */
  metrics(): Promise<Record<string, number>>;
  close(): Promise<void>;
}

/** The manifest's `actions`: safe ones always run, destructive ones only with allow_destructive. */
export interface ActionWhitelist {
  safe: readonly string[];
  destructive: readonly string[];
}

/**
 * Throws PLW_ERR_ACTION_NOT_ALLOWED (403) for an action outside the whitelist and
 * PLW_ERR_ACTION_DESTRUCTIVE (403) for a destructive one unless `allowDestructive` is true.
 */
export function gateAction(pluginId: string, action: string, whitelist: ActionWhitelist, allowDestructive: boolean): void {
  const all = [...whitelist.safe, ...whitelist.destructive];
  if (!all.includes(action)) {
    throw new DiagnosticsError('PLW_ERR_ACTION_NOT_ALLOWED', `Plugin ${pluginId}: action "${action}" is not in the manifest's actions whitelist (${all.join(', ')})`);
  }
  if (whitelist.destructive.includes(action) && allowDestructive !== true) {
    throw new DiagnosticsError('PLW_ERR_ACTION_DESTRUCTIVE', `Plugin ${pluginId}: action "${action}" is destructive and disabled; set allow_destructive: true in its config to enable it`);
  }
}

/**
 * The defaults with the layers over them, later layers winning. Keys not in the defaults, undefined
 * and null are ignored; a value of another type than its default falls back to the default (the
 * `window` takes a duration string or a number of ms; an array default takes an array, as strings).
 */
export function resolveDiagnosticsConfig<C extends object>(defaults: C, ...layers: Array<Partial<C> | Record<string, unknown> | undefined>): C {
  const out: Record<string, unknown> = { ...(defaults as Record<string, unknown>) };
  for (const layer of layers) {
    if (!layer) continue;
    for (const [k, v] of Object.entries(layer)) {
      if (!Object.hasOwn(defaults, k) || v === undefined || v === null) continue;
      const def = (defaults as Record<string, unknown>)[k];
      if (k === 'window' && (typeof v === 'string' || typeof v === 'number')) out[k] = v;
      else if (Array.isArray(def)) {
        if (Array.isArray(v)) out[k] = v.map(String);
      } else if (typeof v === typeof def) out[k] = v;
    }
  }
  return out as C;
}

export interface DiagnosticsPluginSpec<Config extends { allow_destructive: boolean }, Session extends DiagnosticsSession, CtxConfig> {
  id: string;
  /** Semver ranges (or "<flavour> <range>") of the server versions the plugin understands. */
  supportedVersions: string[];
  /** The config of one call: the factory's options under the host's ctx.config (resolveDiagnosticsConfig). */
  config(ctx: PluginContext<CtxConfig> | undefined): Config;
  /** Connects; throws PLW_ERR_DIAG_BAD_TARGET or PLW_ERR_DIAG_CONNECT. */
  open(target: DiagnosticTarget, config: Config): Promise<Session>;
  /** The categories diagnose() knows, and an example target (for the HTTP endpoint's messages). */
  categories: readonly string[];
  /** The KubeStack seed's category names mapped to this plugin's own (one left out does not apply). */
  categoryAliases?: CategoryAliases;
  example: string;
  /** The whitelist, and the action itself; run() is called only for an allowed action, on a connected session. */
  actions: ActionWhitelist & {
    run(session: Session, action: string, params: Record<string, unknown>, config: Config): Promise<unknown>;
  };
}

/** What createDiagnosticsPlugin returns: every method of the kind, `ctx` optional for direct use. */
export interface BuiltDiagnosticsPlugin<CtxConfig = Record<string, unknown>> extends DiagnosticsPlugin<CtxConfig> {
  connect(target: DiagnosticTarget, ctx?: PluginContext<CtxConfig>): Promise<void>;
  disconnect(ctx?: PluginContext<CtxConfig>): Promise<void>;
  diagnose(options: DiagnoseOptions, ctx?: PluginContext<CtxConfig>): Promise<DiagnosticResult>;
  getMetrics(ctx?: PluginContext<CtxConfig>): Promise<Record<string, number>>;
  execute(action: string, params: Record<string, unknown>, ctx?: PluginContext<CtxConfig>): Promise<unknown>;
  handleRequest(req: PluginRequest, ctx?: PluginContext<CtxConfig>): Promise<PluginResponse>;
  healthCheck(ctx?: PluginContext<CtxConfig>): Promise<HealthStatus>;
  stop(ctx?: PluginContext<CtxConfig>): Promise<void>;
}

/**
 * A diagnostics plugin around one session at a time: connect() opens it (closing the previous),
 * diagnose()/getMetrics()/execute() need it (PLW_ERR_DIAG_NOT_CONNECTED otherwise), and
 * handleRequest() serves POST /diagnostics/<system> with a session of its own per request.
 */
export function createDiagnosticsPlugin<Config extends { allow_destructive: boolean }, Session extends DiagnosticsSession, CtxConfig = Record<string, unknown>>(
  spec: DiagnosticsPluginSpec<Config, Session, CtxConfig>,
): BuiltDiagnosticsPlugin<CtxConfig> {
  let session: Session | undefined;
  const seedSpec = (s: Session) => ({ id: spec.id, categories: spec.categories, aliases: spec.categoryAliases, target: s.label });
  const connected = (): Session => {
    if (!session) throw notConnectedError(spec.id);
    return session;
  };
  const disconnect = async (): Promise<void> => {
    const s = session;
    session = undefined;
    await s?.close();
  };
  return {
    supportedVersions: spec.supportedVersions,
    async connect(target, ctx) {
      await disconnect();
      session = await spec.open(target, spec.config(ctx));
    },
    disconnect,
    async diagnose(options, ctx) {
      const s = connected();
      return diagnoseWithSeedCategories(seedSpec(s), options ?? {}, (o) => s.diagnose(o, ctx?.signal));
    },
    async getMetrics() {
      return connected().metrics();
    },
    async execute(action, params, ctx) {
      const config = spec.config(ctx);
      gateAction(spec.id, action, spec.actions, config.allow_destructive);
      return spec.actions.run(connected(), action, params ?? {}, config);
    },
    async handleRequest(req, ctx) {
      const config = spec.config(ctx);
      const open = async (target: DiagnosticTarget) => {
        const s = await spec.open(target, config);
        return { close: () => s.close(), diagnose: (o: DiagnoseOptions, signal?: AbortSignal) => diagnoseWithSeedCategories(seedSpec(s), o, (m) => s.diagnose(m, signal)) };
      };
      return serveDiagnoseRequest(req, { categories: spec.categories, example: spec.example, open, signal: ctx?.signal });
    },
    async healthCheck() {
      return { status: 'healthy', message: session ? `connected to ${session.label}` : 'not connected' };
    },
    stop: disconnect,
  };
}
