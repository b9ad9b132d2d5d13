// `plugway plugin create <name>`: scaffolds a plugin folder that builds, validates and tests green.
import { Option, type Command } from 'commander';
import { relative } from 'node:path';
import { PLUGIN_KINDS, RUNTIME_TYPES, type PluginKind, type RuntimeType } from '../../sdk/types.js';
import { createPlugin, LANGUAGES, type Language } from '../../toolkit/scaffold.js';

export function register(plugin: Command): void {
  plugin
    .command('create')
    .description('create a plugin folder: plugin.yaml, typed source, fixtures, a test, a README and a build script')
    .argument('<name>', 'the plugin id (kebab-case); also the folder name')
    .addOption(new Option('--kind <kind>', 'what the plugin does').choices(PLUGIN_KINDS).default('handler'))
    .addOption(new Option('--runtime <runtime>', 'where it runs (wasm: AssemblyScript on Extism)').choices(RUNTIME_TYPES).default('inprocess'))
    .addOption(new Option('--language <language>', 'the language of the source (python: with --runtime process)').choices(LANGUAGES))
    .option('--dir <dir>', 'parent folder (the plugin goes to <dir>/<name>)', '.')
    .option('--plugway <spec>', 'the devDependency on plugway in package.json: a range ("^0.1.0"), a packed .tgz or a folder (default: this plugway\'s folder, file:…)')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ plugway plugin create hello
  $ plugway plugin create greeter --runtime wasm --dir ./plugins
  $ plugway plugin create audit-log --kind middleware --runtime worker
  $ plugway plugin create py-hello --runtime process --language python`,
    )
    .action((name: string, opts: { kind: PluginKind; runtime: RuntimeType; dir: string; language?: Language; plugway?: string; json?: boolean }) => {
      const r = createPlugin({
        name,
        kind: opts.kind,
        runtime: opts.runtime,
        dir: opts.dir,
        ...(opts.language ? { language: opts.language } : {}),
        ...(opts.plugway ? { plugwaySpec: opts.plugway } : {}),
      });
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
        return;
      }
      const where = relative(process.cwd(), r.dir) || '.';
      process.stdout.write(
        `Created ${r.kind} plugin ${r.id} (${r.runtime}) in ${where}\n` +
          r.files.map((f) => `  ${f}\n`).join('') +
          (r.runtime === 'process'
            ? `\nNext:\n  cd ${where}\n  plugway plugin test .     # test_plugin.py, then the plugin in its sandbox\n  plugway plugin pack .\n`
            : `\nNext:\n  cd ${where}\n  npm install\n  npm run build && npm test\n  plugway plugin test .\n  plugway plugin pack .    # or npm publish, then: plugway plugin install npm:${r.id}\n`),
      );
    });
}
