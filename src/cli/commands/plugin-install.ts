// `plugway plugin install <tgz|dir>`: checked, atomic install into a plugins folder.
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { installPlugin } from '../../toolkit/install.js';
import { defaultConfigFile, loadTrustedKeys, readHostConfig } from '../../toolkit/trust.js';

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function register(plugin: Command): void {
  plugin
    .command('install')
    .description('install a package (or a plugin folder) into a plugins folder: integrity, signature when keys are trusted, engine range and dependencies are checked; nothing is left behind on failure')
    .argument('<source>', 'a .tgz made by plugway plugin pack, or a plugin folder')
    .option('--plugins <dir>', "the plugins folder (default: plugway.yaml's first plugins.directories entry, else ./plugins)")
    .option('--config <file>', 'plugway.yaml (trusted_keys, plugins.directories); default ./plugway.yaml if present')
    .option('--trusted-key <public.pem>', 'trust this public key (repeatable); any trusted key makes a valid signature mandatory', collect, [])
    .option('--force', 'replace an installed plugin with the same id')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ plugway plugin install hello-0.1.0.tgz --plugins ./plugins
  Installed hello@0.1.0 → plugins/hello
  $ plugway plugin install hello-0.1.0.tgz --plugins ./plugins --trusted-key keys/plugway-signing.pub`,
    )
    .action(async (source: string, opts: { plugins?: string; config?: string; trustedKey: string[]; force?: boolean; json?: boolean }) => {
      const configFile = defaultConfigFile(opts.config);
      const trustedKeys = await loadTrustedKeys({ keyFiles: opts.trustedKey, ...(configFile ? { configFile } : {}) });
      let pluginsDir = opts.plugins;
      if (!pluginsDir && configFile) pluginsDir = (await readHostConfig(configFile)).plugins.directories[0];
      const r = await installPlugin(source, { pluginsDir: resolve(pluginsDir ?? 'plugins'), trustedKeys, force: opts.force ?? false });
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
        return;
      }
      process.stdout.write(`Installed ${r.id}@${r.version} → ${r.path}${r.signedBy ? ` (signed by key ${r.signedBy})` : ''}${r.replaced ? ' (replaced the previous one)' : ''}\n`);
    });
}
