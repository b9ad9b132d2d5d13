// `plugway plugin install <tgz|dir|npm:package[@range]>`: checked, atomic install into a plugins folder.
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { PlugwayError, type ErrorCode } from '../../errors.js';
import { AdminClient, type DiscoverAnswer } from '../../toolkit/admin-client.js';
import { installPlugin, type InstallResult } from '../../toolkit/install.js';
import type { NpmInstallResult } from '../../toolkit/npm-install.js';
import { registryUrl } from '../../toolkit/npm-registry.js';
import { resolveCliToken } from '../admin-options.js';
import { cliLog } from '../log.js';
import { defaultConfigFile, loadTrustedKeys, readHostConfig } from '../../toolkit/trust.js';

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function register(plugin: Command): void {
  plugin
    .command('install')
    .description(
      'install a package (or a plugin folder) into a plugins folder: integrity, signature when keys are trusted, engine range and dependencies are checked; nothing is left behind on failure',
    )
    .argument('<source>', 'a .tgz made by plugway plugin pack, a plugin folder, or npm:<package>[@range] from an npm registry')
    .option('--plugins <dir>', "the plugins folder (default: plugway.yaml's first plugins.directories entry, else ./plugins)")
    .option('--config <file>', 'plugway.yaml (trusted_keys, plugins.directories); default ./plugway.yaml if present')
    .option('--trusted-key <public.pem>', 'trust this public key (repeatable); any trusted key makes a valid signature mandatory', collect, [])
    .option('--force', 'replace an installed plugin with the same id')
    .option('--url <url>', 'a running gateway that serves the plugins folder: it loads and starts the new plugin (POST /admin/plugins/discover; default: $PLUGWAY_URL)')
    .option('--token <token>', 'admin bearer token for --url (default: $PLUGWAY_ADMIN_TOKEN, else <state dir>/admin-token)')
    .option('--state-dir <dir>', "the gateway's state dir, to read its admin-token from (default .plugway)")
    .option('--registry <url>', 'npm registry for npm: sources (default: $PLUGWAY_NPM_REGISTRY, $npm_config_registry, else https://registry.npmjs.org/)')
    .option('--signature <file>', 'npm: sources: the plugway signature (.sig) of the published tarball, needed when keys are trusted')
    .option('--allow-scripts', 'npm: sources: let the package and its dependencies run install scripts (refused otherwise)')
    .option('--no-audit', 'npm: sources: do not ask the registry for npm audit of the dependencies')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ plugway plugin install hello-0.1.0.tgz --plugins ./plugins
  Installed hello@0.1.0 → plugins/hello
  $ plugway plugin install hello-0.1.0.tgz --plugins ./plugins --trusted-key keys/plugway-signing.pub
  $ plugway plugin install hello-0.1.0.tgz --plugins ./plugins --url http://127.0.0.1:8080
  Installed hello@0.1.0 → plugins/hello; the gateway at http://127.0.0.1:8080 started it
  $ plugway plugin install npm:hello-plugin@^0.1.0 --plugins ./plugins --registry http://127.0.0.1:4873`,
    )
    .action(async (source: string, opts: InstallOpts) => {
      const configFile = defaultConfigFile(opts.config);
      const trustedKeys = await loadTrustedKeys({ keyFiles: opts.trustedKey, ...(configFile ? { configFile } : {}) });
      let pluginsDir = opts.plugins;
      if (!pluginsDir && configFile) pluginsDir = (await readHostConfig(configFile)).plugins.directories[0];
      const common = { pluginsDir: resolve(pluginsDir ?? 'plugins'), trustedKeys, force: opts.force ?? false };
      let r: InstallResult | NpmInstallResult;
      if (source.startsWith('npm:')) {
        const { installNpmPlugin } = await import('../../toolkit/npm-install.js');
        const registry = registryUrl(opts.registry);
        r = await installNpmPlugin(source, {
          ...common,
          registry,
          allowScripts: opts.allowScripts ?? false,
          audit: opts.audit,
          debug: cliLog.debug,
          ...(opts.signature ? { signature: resolve(opts.signature) } : {}),
        });
      } else {
        r = await installPlugin(source, common);
      }
      const url = opts.url ?? (process.env.PLUGWAY_URL || undefined);
      const lines = [
        `Installed ${r.id}@${r.version} → ${r.path}${'package' in r ? ` (npm ${r.package}, ${r.integrity.split('-')[0]} verified)` : ''}${r.signedBy ? ` (signed by key ${r.signedBy})` : ''}${r.replaced ? ' (replaced the previous one)' : ''}`,
      ];
      if ('audit' in r && r.audit)
        lines.push(
          r.audit.available
            ? `  npm audit: ${r.audit.total ?? 0} vulnerabilit${r.audit.total === 1 ? 'y' : 'ies'}${
                r.audit.total
                  ? ` (${Object.entries(r.audit.vulnerabilities ?? {})
                      .filter(([, n]) => n > 0)
                      .map(([k, n]) => `${n} ${k}`)
                      .join(', ')})`
                  : ''
              }`
            : `  npm audit: not available (${r.audit.reason})`,
        );
      if (!url) {
        process.stdout.write(opts.json ? `${JSON.stringify(r, null, 2)}\n` : `${lines.join('\n')}\n`);
        return;
      }
      const { token, source: tokenSource } = resolveCliToken(opts);
      const gateway = await tellGateway(new AdminClient({ url, debug: cliLog.debug, ...(token ? { token, tokenSource } : {}) }), r);
      lines[0] += `; the gateway at ${url} ${gateway.action === 'reload' ? 'reloaded' : 'started'} it`;
      process.stdout.write(opts.json ? `${JSON.stringify({ ...r, gateway }, null, 2)}\n` : `${lines.join('\n')}\n`);
    });
}

interface InstallOpts {
  plugins?: string;
  config?: string;
  trustedKey: string[];
  force?: boolean;
  url?: string;
  token?: string;
  stateDir?: string;
  registry?: string;
  signature?: string;
  allowScripts?: boolean;
  audit: boolean;
  json?: boolean;
}

/**
 * The gateway at --url picks the plugin up: discover for a new id; reload when it already runs that id
 * (install --force). An error says the plugin is installed, so that a retry is `plugway plugin discover`.
 */
async function tellGateway(client: AdminClient, r: InstallResult): Promise<{ url: string; action: 'discover' | 'reload'; answer: unknown }> {
  const installed = (err: unknown): never => {
    const e = err instanceof PlugwayError ? err : new PlugwayError('PLW_ERR_INTERNAL', { reason: String(err) });
    (e as { message: string }).message = `${r.id}@${r.version} is installed in ${r.path}, but the gateway at ${client.url} did not start it: ${e.message}`;
    throw e;
  };
  let answer: DiscoverAnswer;
  try {
    answer = await client.discover();
  } catch (err) {
    return installed(err);
  }
  if (answer.added.includes(r.id)) return { url: client.url, action: 'discover', answer };
  const failed = answer.failed.find((f) => f.id === r.id);
  if (failed) return installed(Object.assign(PlugwayError.rebuilt(failed.code as ErrorCode, {}), { code: failed.code, message: failed.message }));
  // already registered in the gateway: a replaced (or re-installed) plugin is reloaded from disk
  try {
    return { url: client.url, action: 'reload', answer: await client.action(r.id, 'reload') };
  } catch (err) {
    return installed(err);
  }
}
