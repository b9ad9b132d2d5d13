// Runs one diagnostics plugin through the plugin host, as the gateway would: reads its manifest,
// registers and starts it (config validated by the host, ctx from the host), connect → diagnose.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
// The host, the manifest loader and pino are imported when a diagnosis runs: the CLI registers
// every command on each start, and `plugway plugin …` or `--help` need none of them.
import { PlugwayError, reasonOf } from '../errors.js';
import { parseDuration, type DiagnosticResult, type DiagnosticTarget } from '../sdk/diagnostics.js';
import { coerceSettings } from './diagnose-settings.js';

export const SYSTEMS = ['redis', 'mysql', 'postgres', 'kafka', 'rabbitmq'] as const;
export type DiagnoseSystem = (typeof SYSTEMS)[number];

/** plugins/ of this package: src/cli and dist/cli sit at the same depth. */
export const BUILTIN_PLUGINS_DIR = fileURLToPath(new URL('../../plugins/', import.meta.url));

export interface DiagnoseRun {
  system: DiagnoseSystem;
  target: DiagnosticTarget;
  categories: string[];
  /** Only when given (`--window`): otherwise the plugin's own config decides (`window`, its default or `--set window=…`). */
  windowMs?: number;
  samples?: number;
  /**
   * `--set` overrides as `[key, raw value]`, each read as its key's type in the manifest's
   * config_schema (see diagnose-settings.ts) and merged over the defaults by the host.
   */
  settings?: ReadonlyArray<readonly [string, string]>;
  pluginsDir?: string;
}

/** `usage`: the settings do not fit the plugin's config_schema (unknown key, wrong type) — the caller's mistake, not the plugin's. */
export type DiagnoseOutcome = { ok: true; result: DiagnosticResult } | { ok: false; stage: 'usage' | 'load' | 'connect' | 'diagnose'; code: string; message: string };

/** The plugin's own error code when the host wrapped it (PLW_ERR_PLUGIN_THREW → cause). */
function unwrap(err: unknown): { code: string; message: string } {
  const cause = (err as { cause?: { code?: unknown; message?: unknown } }).cause;
  if (cause && typeof cause.code === 'string' && cause.code.startsWith('PLW_ERR_')) return { code: cause.code, message: String(cause.message) };
  if (err instanceof PlugwayError) return { code: err.code, message: err.message };
  const code = (err as { code?: unknown }).code;
  return { code: typeof code === 'string' ? code : 'PLW_ERR_INTERNAL', message: reasonOf(err) };
}

/** The config's `window` in ms (0 when the plugin has none); a bad one throws a usage error. */
function configuredWindowMs(window: unknown): number {
  if (typeof window !== 'string' && typeof window !== 'number') return 0;
  try {
    return parseDuration(window);
  } catch (err) {
    throw new PlugwayError('PLW_ERR_CLI_USAGE', { reason: `window=${window}: ${(err as Error).message}` });
  }
}

export async function runDiagnosis(run: DiagnoseRun): Promise<DiagnoseOutcome> {
  const [{ default: pino }, { defaultHostConfig }, { createHost }, { loadManifestFromDir, validatePluginConfig }, { ensureTsx }] = await Promise.all([
    import('pino'),
    import('../host/config.js'),
    import('../host/index.js'),
    import('../manifest/index.js'),
    import('../runtimes/tsx.js'),
  ]);
  const id = `${run.system}-diagnostics`;
  const dir = `${run.pluginsDir ?? BUILTIN_PLUGINS_DIR}${id}`;
  if (!existsSync(dir)) return { ok: false, stage: 'load', code: 'PLW_ERR_PLUGIN_NOT_FOUND', message: `No plugin ${id} at ${dir}` };
  const loaded = await loadManifestFromDir(dir);
  if (!loaded.manifest || loaded.errors.length || !loaded.entryPath) {
    const first = loaded.errors[0];
    return { ok: false, stage: 'load', code: first?.code ?? 'PLW_ERR_ENTRY_NOT_FOUND', message: first?.message ?? `Plugin ${id} has no entry file` };
  }
  const pluginConfig = coerceSettings(run.settings ?? [], loaded.manifest.configSchema);
  // Checked here, as the host will check it, so that a bad --set reads as a usage error.
  let windowMs: number;
  try {
    const effective = validatePluginConfig(loaded.manifest, pluginConfig);
    windowMs = run.windowMs ?? configuredWindowMs(effective.window);
  } catch (err) {
    return { ok: false, stage: 'usage', ...unwrap(err) };
  }
  const config = defaultHostConfig();
  config.plugins.autoLoad = false;
  config.plugins.configs[id] = { ...(config.plugins.configs[id] ?? {}), enabled: true, config: pluginConfig, dependencies: [], roles: [], required: true };
  const host = createHost({ config, logger: pino({ level: process.env.PLUGWAY_LOG_LEVEL ?? 'silent' }) });
  // The window (the flag's, else the plugin's config) plus generous time for the checks themselves.
  const deadline = () => Date.now() + windowMs + 60_000;
  try {
    try {
      // The built-in plugins ship as TypeScript: under plain node (dist/) tsx is registered first.
      if (/\.[mc]?tsx?$/.test(loaded.entryPath)) await ensureTsx();
      const mod = (await import(pathToFileURL(loaded.entryPath).href)) as { default?: unknown };
      host.register(loaded.manifest, mod.default ?? mod, loaded.source);
      await host.startPlugin(id);
    } catch (err) {
      return { ok: false, stage: 'load', ...unwrap(err) };
    }
    try {
      await host.call(id, 'connect', [run.target], { deadline: deadline() });
    } catch (err) {
      return { ok: false, stage: 'connect', ...unwrap(err) };
    }
    try {
      const options: Record<string, unknown> = { categories: run.categories };
      if (run.windowMs !== undefined) options.windowMs = run.windowMs;
      if (run.samples !== undefined) options.samples = run.samples;
      const result = await host.call<DiagnosticResult>(id, 'diagnose', [options], { deadline: deadline() });
      return { ok: true, result };
    } catch (err) {
      return { ok: false, stage: 'diagnose', ...unwrap(err) };
    } finally {
      await host.call(id, 'disconnect', []).catch(() => undefined);
    }
  } finally {
    await host.stop().catch(() => undefined);
  }
}
