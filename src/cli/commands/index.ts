// Every CLI command module; each exports register(program). One line per command group.
// A run registers only the command it names: the modules import what their actions need at the
// top (serve the gateway and Fastify, plugin the toolkit), ~1.5 s that `plugway diagnose` must not pay.
import type { Command } from 'commander';

type Register = (program: Command) => void | Promise<void>;
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
 * The modules a run of `argv` (node, script, …) needs: only the named command's when its first
 * operand is one (the program's own options, -V and -h, take no value); every module otherwise —
 * top-level help, `plugway help <command>`, an unknown command's "did you mean".
 */
export function commandModulesFor(argv?: readonly string[]): CommandModule[] {
  const first = argv?.slice(2).find((a) => !a.startsWith('-'));
  const named = first !== undefined && Object.hasOwn(modules, first) ? modules[first] : undefined;
  return named ? [named] : commandModules;
}
