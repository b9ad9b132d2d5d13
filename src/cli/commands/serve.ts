// `plugway serve`: loads plugins, starts the host and serves them over HTTP. With no arguments
// it serves the repository's example and built-in plugins on embedded defaults.

import type { Command } from 'commander';
import { existsSync, mkdirSync } from 'node:fs';
import { deployDirOf } from '../../cluster/paths.js';
import { mkdir, rm, symlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { loadHostConfig } from '../../host/config.js';
import type { HostConfig } from '../../host/config-types.js';
import { createHost, installSignalHandlers } from '../../host/index.js';
import { createGateway, gatewayOf } from '../../gateway/index.js';
import { createStateStore } from '../../state/create-store.js';
import { lockStateDir } from '../../state/state-lock.js';
import { PlugwayError } from '../../errors.js';
import { reexecWithoutAdminToken, stopWithParent } from './serve-reexec.js';
import { summaryOf } from './index.js';

/** The package root (src/cli/commands or dist/cli/commands → three levels up), not the cwd. */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

interface ServeOptions {
  config?: string;
  plugins?: string[];
  port?: string;
  host?: string;
  stateDir?: string;
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

function port(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new PlugwayError('PLW_ERR_CLI_USAGE', { reason: `--port ${v} is not a port number (0-65535)` });
  return n;
}

/** Desired state from the state dir becomes the plugins' `enabled` before anything starts. */
function applyStoredEnabled(config: HostConfig, stored: Record<string, { enabled: boolean; config?: Record<string, unknown> }>): void {
  for (const [id, s] of Object.entries(stored)) {
    const o = config.plugins.configs[id];
    if (o) o.enabled = s.enabled;
    else config.plugins.configs[id] = { enabled: s.enabled, config: {}, dependencies: [], roles: [], required: true, flags: {} };
    // A config set through the admin API (PUT /admin/plugins/:id/config) outlives restarts.
    if (s.config) config.plugins.configs[id]!.config = s.config;
  }
}

/** The built-in plugins of the LLM gateway (docs/llm-gateway.md). */
export const LLM_PLUGINS = ['llm-gateway', 'openai-compatible', 'anthropic', 'llm-router'];

/**
 * "Enabled when configured": a plugway.yaml that configures llm-gateway but names no folder holding
 * it gets the built-in llm plugins (and only those), linked from a folder in the state dir.
 */
async function addBuiltinLlmPlugins(config: HostConfig): Promise<boolean> {
  if (!config.plugins.configs['llm-gateway'] || config.plugins.configs['llm-gateway'].enabled === false) return false;
  if (config.plugins.directories.some((d) => existsSync(join(d, 'llm-gateway')))) return false;
  const dir = resolve(config.state.dir, 'builtin-llm-plugins');
  await mkdir(dir, { recursive: true });
  for (const id of LLM_PLUGINS) {
    const link = join(dir, id);
    await rm(link, { force: true, recursive: false }).catch(() => undefined);
    await symlink(resolve(PACKAGE_ROOT, 'plugins', id), link, 'dir');
  }
  config.plugins.directories.push(dir);
  return true;
}

export async function serve(opts: ServeOptions): Promise<void> {
  const overrides: Record<string, unknown> = {};
  const gateway: Record<string, unknown> = {};
  if (opts.host) gateway.host = opts.host;
  const p = port(opts.port);
  if (p !== undefined) gateway.port = p;
  if (Object.keys(gateway).length) overrides.gateway = gateway;
  if (opts.stateDir) overrides.state = { dir: opts.stateDir };
  const config = await loadHostConfig({ file: opts.config, overrides: overrides as never });

  const embedded = !config.file && !opts.plugins?.length && config.plugins.directories.length === 0;
  if (embedded) {
    config.plugins.directories = ['examples', 'plugins'].map((d) => resolve(PACKAGE_ROOT, d)).filter((d) => existsSync(d));
  }
  for (const d of opts.plugins ?? []) config.plugins.directories.push(resolve(d));
  const llmBuiltin = await addBuiltinLlmPlugins(config);
  // Cluster deploys install plugins new to this node there (see src/cluster/deploys.ts).
  if (config.state.store === 'etcd' && config.cluster.nats.servers.length) {
    const deployDir = deployDirOf(config.state.dir);
    mkdirSync(deployDir, { recursive: true });
    config.plugins.directories.push(deployDir);
  }
  // Built-in auth by default when nothing else is named.
  const builtinAuth = resolve(PACKAGE_ROOT, 'plugins', 'jwt-auth');
  const authDefaulted = !config.gateway.auth.plugin && config.plugins.directories.some((d) => resolve(d, 'jwt-auth') === builtinAuth);
  if (authDefaulted) config.gateway.auth.plugin = 'jwt-auth';

  // Before any plugin starts: a second gateway on this state dir stops here, with PLW_ERR_STATE_DIR_LOCKED.
  const lock = await lockStateDir(config.state.dir);
  const logger = pino({ level: config.logging.level, base: null, formatters: { level: (label) => ({ level: label }) } });
  if (lock.tookOver) logger.warn({ pid: lock.tookOver.pid, since: lock.tookOver.started_at }, `took over the state dir lock of process ${lock.tookOver.pid}, which is gone`);
  const store = createStateStore(config, { logger });
  applyStoredEnabled(config, (await store.load()).plugins);

  const host = createHost({ config, logger });
  const report = await host.start();
  const app = await createGateway({ host, store });
  installSignalHandlers({
    ...host,
    logger: host.logger,
    config: host.config,
    stop: async () => {
      await app.close();
      await store.close?.();
      await host.stop();
      await lock.release();
    },
  });
  const address = await app.listen({ port: config.gateway.port, host: config.gateway.host });
  const { adminToken, reloadTls } = gatewayOf(app);
  // SIGHUP (systemctl reload, a renewal tool's nudge): re-read gateway.tls.cert/key; a bad pair is logged
  // and the old one kept. Handled without TLS too: Node's default for SIGHUP would end the gateway.
  process.on('SIGHUP', () => {
    if (!reloadTls) return void logger.info('SIGHUP: nothing to reload (no gateway.tls)');
    try {
      reloadTls();
      logger.info('TLS certificate reloaded (SIGHUP)');
    } catch (err) {
      logger.error({ err: { code: (err as PlugwayError).code, message: (err as Error).message } }, 'TLS certificate not reloaded; the previous one keeps serving');
    }
  });

  const out: string[] = [];
  out.push(`plugway gateway listening on ${address}`);
  if (embedded) out.push(`  serving the examples and built-in plugins from ${PACKAGE_ROOT} (no config file)`);
  else if (config.file) out.push(`  config: ${config.file}`);
  out.push(`  state dir: ${config.state.dir}`);
  if (config.gateway.tls) out.push(`  tls: ${config.gateway.tls.cert}${config.gateway.tls.http2 ? ' (HTTP/2 and HTTP/1.1)' : ''}; reloaded when the files change or on SIGHUP`);
  if (config.state.store === 'etcd') out.push(`  desired state: etcd ${config.state.etcd.endpoints.join(', ')} (prefix ${config.state.etcd.prefix})`);
  if (adminToken.source === 'generated') {
    out.push(`  admin token (generated, shown once; kept in ${adminToken.file} with mode 0600):`);
    out.push(`    ${adminToken.token}`);
  } else if (adminToken.source === 'file') out.push(`  admin token: from ${adminToken.file}`);
  else if (adminToken.source === 'env')
    out.push(`  admin token: from ${process.env.PLUGWAY_ADMIN_TOKEN_FD ? 'PLUGWAY_ADMIN_TOKEN (moved out of the environment; only its digest is kept)' : 'PLUGWAY_ADMIN_TOKEN'}`);
  else out.push(`  admin token: from ${config.file ?? 'the config'} (gateway.admin.token)`);
  if (authDefaulted) out.push('  auth plugin: jwt-auth (built-in; configure it under plugins.configs.jwt-auth.config)');
  if (llmBuiltin) out.push(`  llm plugins: built-in ${LLM_PLUGINS.join(', ')} (plugins.configs.llm-gateway is set; docs/llm-gateway.md)`);
  out.push(`  plugins (${host.list().length}, started in ${Math.round(report.durationMs)} ms):`);
  const rows = host
    .list()
    .map((pl) => [
      pl.id,
      pl.version,
      pl.manifest.kind,
      pl.manifest.runtime.type,
      host.isEnabled(pl.id) ? pl.state : 'disabled',
      pl.error ? `${pl.error.code}: ${pl.error.message}` : pl.manifest.endpoints.map((e) => `${e.method} ${e.path}`).join(', '),
    ]);
  const widths = [0, 1, 2, 3, 4].map((i) => Math.max(...rows.map((r) => r[i]!.length), 0));
  for (const r of rows)
    out.push(
      `    ${r
        .slice(0, 5)
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')}  ${r[5]}`,
    );
  if (config.gateway.admin.enabled) out.push(`  dashboard: ${address}/dashboard (admin API: ${address}/admin)`);
  // Suggest a route that answers without auth or parameters, if any plugin has one (in-process
  // handlers first: the simplest answer, and the examples' hello).
  const rank = (pl: { manifest: { runtime: { type: string } } }) => (pl.manifest.runtime.type === 'inprocess' ? 0 : 1);
  const sample = host
    .list()
    .filter((pl) => pl.state === 'running')
    .sort((a, b) => rank(a) - rank(b))
    .flatMap((pl) => pl.manifest.endpoints)
    .find((e) => e.method === 'GET' && e.auth !== 'required' && !e.path.includes('{'));
  if (sample) out.push(`  try: curl ${address}${sample.path}`);
  process.stdout.write(out.join('\n') + '\n');
}

export function register(program: Command): void {
  program
    .command('serve')
    .description(summaryOf('serve'))
    .option('-c, --config <file>', 'plugway.yaml')
    .option('-p, --plugins <dir>', 'a plugins folder (repeatable)', collect)
    .option('--port <port>', 'port to listen on (default 8080)')
    .option('--host <host>', 'address to bind (default 127.0.0.1)')
    .option('--state-dir <dir>', 'where desired state, audit log and admin token live (default .plugway)')
    .addHelpText('after', '\nExamples:\n  $ plugway serve\n  $ plugway serve --config plugway.yaml --port 9000\n  $ curl http://127.0.0.1:8080/hello')
    .action(async (opts: ServeOptions) => {
      // PLUGWAY_ADMIN_TOKEN must not stay where plugins can read it: a child without it serves.
      await reexecWithoutAdminToken();
      stopWithParent();
      await serve(opts);
      // Keep running: the server holds the event loop open until a signal stops it.
      await new Promise<never>(() => undefined);
    });
}
