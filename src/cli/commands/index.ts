// Every CLI command module; each exports register(program, argv). One line per command group.
// A run registers only the command it names: the modules import what their actions need at the
// top (serve the gateway and Fastify, plugin the toolkit), ~1.5 s that `plugway diagnose` must not pay.
import type { Command } from 'commander';

type Register = (program: Command, argv?: readonly string[]) => void | Promise<void>;
type CommandModule = () => Promise<{ register: Register }>;

const modules: Record<string, CommandModule> = {
  plugin: () => import('./plugin.js'),
  serve: () => import('./serve.js'),
  diagnose: () => import('./diagnose.js'),
  register: () => import('./register.js'),
};

/** All of them: the whole tree, for help, the docs' checks and the tests. */
export const commandModules: CommandModule[] = Object.values(modules);

/**
 * What `plugway --help` (and --version, and a bare `plugway`) lists, without importing any module:
 * the name, operands and description of each command. test/cli/cli-startup.test.ts checks that this
 * help reads exactly as the one built from the modules themselves.
 */
export const commandSummaries: ReadonlyArray<{ name: string; operands: string; description: string }> = [
  { name: 'plugin', operands: '', description: 'create, check, package and steer plugins' },
  { name: 'serve', operands: '', description: 'serve plugins over HTTP (with no arguments: the bundled examples on embedded defaults)' },
  { name: 'diagnose', operands: '<system> <url>', description: 'diagnose a Redis, MySQL/MariaDB, PostgreSQL, Kafka or RabbitMQ server with its built-in diagnostics plugin' },
  { name: 'register', operands: '', description: 'keep a service instance registered in etcd (a lease kept alive) for the gateways that discover it' },
];

/** A command's description, for its module to register (one text for both helps). */
export function summaryOf(name: string): string {
  const s = commandSummaries.find((x) => x.name === name);
  if (!s) throw new Error(`no summary for command ${name}`);
  return s.description;
}

/** The operands of argv (node, script, …): what is not an option nor an option's value. */
export function operandsOf(argv: readonly string[] | undefined, valued: readonly string[] = ['--log-level']): string[] {
  const out: string[] = [];
  const args = argv?.slice(2) ?? [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (valued.includes(a)) i++;
    else if (!a.startsWith('-')) out.push(a);
  }
  return out;
}

/**
 * The modules a run of `argv` (node, script, …) needs: only the named command's when its first
 * operand is one (the program's own options, -V and -h, take no value); none when there is no
 * operand at all (top-level help and version: commandSummaries); every module otherwise —
 * `plugway help <command>`, an unknown command's "did you mean".
 */
export function commandModulesFor(argv?: readonly string[]): CommandModule[] | 'summaries' {
  if (argv === undefined) return commandModules;
  const first = operandsOf(argv)[0];
  if (first === undefined) return 'summaries';
  const named = Object.hasOwn(modules, first) ? modules[first] : undefined;
  return named ? [named] : commandModules;
}
