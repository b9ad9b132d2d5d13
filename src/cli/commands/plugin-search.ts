// `plugway plugin search <words>`: plugins published to an npm registry (packages with the
// plugway-plugin keyword), to install with `plugway plugin install npm:<name>`.
import type { Command } from 'commander';
import { NpmRegistry, PLUGIN_KEYWORD, registryUrl } from '../../toolkit/npm-registry.js';
import { table } from '../../toolkit/report.js';
import { cliLog } from '../log.js';

export function register(plugin: Command): void {
  plugin
    .command('search')
    .description(`find plugins on an npm registry: packages with the keyword ${PLUGIN_KEYWORD} whose name, description or keywords hold every word`)
    .argument('[words...]', 'words to look for (none: every plugin)')
    .option('--registry <url>', 'npm registry (default: $PLUGWAY_NPM_REGISTRY, $npm_config_registry, else https://registry.npmjs.org/)')
    .option('--size <n>', 'at most this many results', (v) => Math.max(1, Math.min(250, Number(v) || 20)), 20)
    .option('--json', 'print JSON for scripts')
    .addHelpText('after', '\nExamples:\n  $ plugway plugin search greeting\n  $ plugway plugin search --registry http://127.0.0.1:4873 auth jwt')
    .action(async (words: string[], opts: { registry?: string; size: number; json?: boolean }) => {
      const registry = new NpmRegistry(registryUrl(opts.registry));
      cliLog.debug(`searching ${registry.url} for ${PLUGIN_KEYWORD} packages matching ${JSON.stringify(words.join(' '))}`);
      const hits = (await registry.search(words.join(' '), opts.size)).slice(0, opts.size);
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ registry: registry.url, count: hits.length, plugins: hits }, null, 2)}\n`);
        return;
      }
      if (hits.length === 0) {
        process.stdout.write(`No plugins found on ${registry.url}${words.length ? ` for "${words.join(' ')}"` : ''}\n`);
        return;
      }
      const rows = hits.map((h) => [h.name, h.version, h.description ?? '', `plugway plugin install npm:${h.name}`]);
      process.stdout.write(`${table(['package', 'version', 'description', 'install with'], rows)}\n${hits.length} plugin${hits.length === 1 ? '' : 's'} on ${registry.url}\n`);
    });
}
