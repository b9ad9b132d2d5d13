// `plugway plugin test <dir>`: the plugin through the real host and its declared runtime, with its fixtures.
import { InvalidArgumentError, type Command } from 'commander';
import { testPlugin } from '../../toolkit/harness.js';
import { formatReport } from '../../toolkit/report.js';

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number ≥ 1');
  return n;
}

export function register(plugin: Command): void {
  plugin
    .command('test')
    .description('load a plugin in its declared runtime through the host: init → start → health → fixtures → stop, with call times and memory against resources')
    .argument('<dir>', 'the plugin folder (holds plugin.yaml and fixtures.json)')
    .option('--rounds <n>', 'times the fixtures are replayed to measure call times', positiveInt, 20)
    .option('--no-build', 'do not run build.mjs first, even when the entry is stale')
    .option('--json', 'print the report as JSON')
    .addHelpText(
      'after',
      `
Example:
  $ plugway plugin test ./hello
  Exit code 0 when every step and fixture passes, 1 otherwise.`,
    )
    .action(async (dir: string, opts: { rounds: number; build: boolean; json?: boolean }) => {
      const report = await testPlugin(dir, { rounds: opts.rounds, build: opts.build });
      process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
      if (!report.ok) process.exitCode = 1;
    });
}
