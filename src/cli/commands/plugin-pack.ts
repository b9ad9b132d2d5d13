// `plugway plugin pack <dir>`: builds when needed and writes <id>-<version>.tgz with integrity.json.
import type { Command } from 'commander';
import { relative } from 'node:path';
import { packPlugin } from '../../toolkit/pack.js';

export function register(plugin: Command): void {
  plugin
    .command('pack')
    .description('package a plugin as a .tgz: manifest, built entry, README, fixtures and integrity.json (sha256 of every file)')
    .argument('<dir>', 'the plugin folder (holds plugin.yaml)')
    .option('-o, --out <file>', 'output file (default: <dir>/<id>-<version>.tgz)')
    .option('--no-build', 'do not run build.mjs first, even when the entry is stale')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      `
Example:
  $ plugway plugin pack ./hello
  Packed hello@0.1.0 → hello/hello-0.1.0.tgz (5 files, 2.1 kB, sha256 3f1c…)`,
    )
    .action(async (dir: string, opts: { out?: string; build: boolean; json?: boolean }) => {
      const r = await packPlugin(dir, { build: opts.build, ...(opts.out ? { out: opts.out } : {}) });
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
        return;
      }
      const where = relative(process.cwd(), r.file) || r.file;
      process.stdout.write(`Packed ${r.id}@${r.version} → ${where} (${r.files.length} files, ${(r.bytes / 1024).toFixed(1)} kB, sha256 ${r.sha256})\n`);
    });
}
