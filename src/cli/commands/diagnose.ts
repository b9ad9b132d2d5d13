// `plugway diagnose <redis|mysql|postgres|kafka|rabbitmq> <url>`: runs the system's diagnostics plugin and
// prints a report (or JSON). Exit 0 healthy, 1 warning, 2 critical, 3 could not connect/unknown.
import { Command, CommanderError, Option } from 'commander';
import { parseDuration } from '../../sdk/diagnostics.js';
import type { DiagnosticTarget } from '../../sdk/diagnostics.js';
import { renderReport, useColor } from '../diagnose-report.js';
import { runDiagnosis, SYSTEMS, type DiagnoseSystem } from '../diagnose-runner.js';
import { parseSetEntries } from '../diagnose-settings.js';
import { summaryOf } from './index.js';

export const EXIT = { healthy: 0, warning: 1, critical: 2, unreachable: 3, unknown: 3, usage: 64 } as const;

interface DiagnoseFlags {
  category: string[];
  /** Undefined unless given: then the plugin's own default applies (Redis 2s, Kafka 3s, MySQL/PostgreSQL 5s). */
  window?: string;
  samples?: string;
  json?: boolean;
  set: string[];
  user?: string;
  password?: string;
  tls?: boolean;
  timeout?: string;
}

const collect = (v: string, prev: string[]) => [
  ...prev,
  ...v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
];
const collectRaw = (v: string, prev: string[]) => [...prev, v];

function durationFlag(flag: string, value: string): number {
  try {
    return parseDuration(value);
  } catch (err) {
    throw new Error(`${flag} ${value}: ${(err as Error).message}`);
  }
}

function usage(message: string): number {
  process.stderr.write(`plugway diagnose: ${message}\n(run plugway diagnose --help for usage)\n`);
  return EXIT.usage;
}

async function action(system: string, url: string, flags: DiagnoseFlags): Promise<number> {
  if (!(SYSTEMS as readonly string[]).includes(system)) return usage(`unknown system "${system}"; expected one of ${SYSTEMS.join(', ')}`);
  let windowMs: number | undefined;
  let timeoutMs: number | undefined;
  let settings: Array<[string, string]>;
  try {
    windowMs = flags.window === undefined ? undefined : durationFlag('--window', flags.window);
    timeoutMs = flags.timeout === undefined ? undefined : durationFlag('--timeout', flags.timeout);
    settings = parseSetEntries(flags.set);
  } catch (err) {
    return usage((err as Error).message);
  }
  const samples = flags.samples === undefined ? undefined : Number(flags.samples);
  if (samples !== undefined && (!Number.isInteger(samples) || samples < 2)) return usage('--samples must be an integer of at least 2');
  const target: DiagnosticTarget = { url };
  if (flags.user) target.username = flags.user;
  const password = flags.password ?? process.env.PLUGWAY_DIAGNOSE_PASSWORD;
  if (password) target.password = password;
  if (flags.tls) target.tls = true;
  if (timeoutMs !== undefined) target.timeoutMs = timeoutMs;
  const outcome = await runDiagnosis({ system: system as DiagnoseSystem, target, categories: flags.category, windowMs, samples, settings });
  if (!outcome.ok && outcome.stage === 'usage') return usage(`--set: ${outcome.message}`);
  if (!outcome.ok) {
    const what = outcome.stage === 'connect' ? `could not connect to ${url}` : outcome.stage === 'load' ? `could not load ${system}-diagnostics` : `diagnosis of ${url} failed`;
    if (flags.json) {
      const body = { plugin_id: `${system}-diagnostics`, target: url, status: 'unknown', error: { stage: outcome.stage, code: outcome.code, message: outcome.message } };
      process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
    }
    process.stderr.write(`plugway diagnose: ${what}: ${outcome.code}: ${outcome.message}\n`);
    return EXIT.unreachable;
  }
  const { result } = outcome;
  if (flags.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else process.stdout.write(renderReport(result, useColor(process.stdout)));
  return EXIT[result.status] ?? EXIT.unknown;
}

export function register(program: Command): void {
  const cmd = program
    .command('diagnose')
    .description(summaryOf('diagnose'))
    .argument('<system>', `one of ${SYSTEMS.join(', ')}`)
    .argument('<url>', 'the server: a URL (redis://…, mysql://user@host:3306/db, postgres://…, kafka://…, amqp://…) or host:port')
    .option('--category <name>', 'only these categories (repeatable or comma-separated)', collect, [] as string[])
    .option('--window <duration>', "sampling window for rates and trends (default: the plugin's own — redis 2s, kafka 3s, mysql, postgres and rabbitmq 5s)")
    .option('--samples <n>', "samples taken across the window (default: the plugin's, 3)")
    .option('--json', 'print the DiagnosticResult as JSON')
    .option('--set <key=value>', 'override a plugin config value, e.g. a threshold (repeatable; a list setting takes a comma list: groups=a,b)', collectRaw, [] as string[])
    .option('--user <name>', 'user name (instead of the one in the URL)')
    .addOption(new Option('--password <secret>', 'password (prefer PLUGWAY_DIAGNOSE_PASSWORD: flags show up in ps)'))
    .option('--tls', 'connect with TLS')
    .option('--timeout <duration>', 'connect timeout')
    .addHelpText(
      'after',
      '\nExit codes: 0 healthy, 1 warning, 2 critical, 3 could not connect (or status unknown), 64 usage error.\n\nExamples:\n' +
        '  $ plugway diagnose redis localhost:6379\n' +
        '  $ plugway diagnose mysql mysql://root@127.0.0.1:3306/test --category connections,locks\n' +
        '  $ plugway diagnose postgres postgres://postgres@127.0.0.1:5432/test --window 10s --json',
    )
    .action(async (system: string, url: string, flags: DiagnoseFlags) => {
      process.exitCode = await action(system, url, flags);
    });
  // Commander's own usage errors exit 1, which here would read as "warning": make them 64.
  cmd.exitOverride((err) => {
    if (err.exitCode !== 0) throw new CommanderError(EXIT.usage, err.code, err.message);
    throw err;
  });
}
