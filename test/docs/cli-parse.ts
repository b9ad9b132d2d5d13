// Static check of a documented `plugway …` line: the real command tree (src/cli) parses its
// arguments with every action replaced by a no-op, so an unknown subcommand or flag, a missing
// argument or a bad choice fails without running anything.
import type { Command } from 'commander';
import { buildProgram } from '../../src/cli/main.js';

/** Shell words of a simple command (quotes and backslashes; no expansion). */
export function shellWords(s: string): string[] {
  const words: string[] = [];
  let cur: string | undefined;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === "'") {
      const end = s.indexOf("'", i + 1);
      cur = (cur ?? '') + s.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      let j = i + 1;
      let v = '';
      for (; j < s.length && s[j] !== '"'; j++) v += s[j] === '\\' ? s[++j] : s[j];
      cur = (cur ?? '') + v;
      i = j;
    } else if (c === '\\') cur = (cur ?? '') + s[++i];
    else if (/\s/.test(c)) {
      if (cur !== undefined) words.push(cur);
      cur = undefined;
    } else cur = (cur ?? '') + c;
  }
  if (cur !== undefined) words.push(cur);
  return words;
}

/**
 * The plugway arguments of a command line: leading `VAR=value` words dropped, anything after a
 * pipe or `&&` dropped, `plugway` or `node bin/plugway.js` removed. Undefined when it is no plugway call.
 */
export function plugwayArgs(command: string): string[] | undefined {
  const first = command.split(/\s(?:\||&&|;)\s/)[0]!;
  const words = shellWords(first);
  while (words.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[0]!)) words.shift();
  if (words[0] === 'plugway') return words.slice(1);
  if (words[0] === 'node' && /(^|\/)bin\/plugway\.js$/.test(words[1] ?? '')) return words.slice(2);
  return undefined;
}

export interface ParseOutcome {
  /** The command path that would have run (`plugin canary promote`), when parsing succeeded. */
  ran?: string;
  error?: string;
}

/** Parses `args` with the real program; no action runs. */
export async function parseWithoutRunning(args: string[]): Promise<ParseOutcome> {
  const program = await buildProgram();
  let err = '';
  let ran: string | undefined;
  const stub = (c: Command, path: string[]) => {
    c.configureOutput({ writeOut: () => {}, writeErr: (s) => (err += s) });
    c.exitOverride();
    // only commands that have an action of their own (not the `plugin` group)
    if ((c as unknown as { _actionHandler?: unknown })._actionHandler) {
      c.action(() => {
        ran = path.join(' ');
      });
    }
    for (const sub of c.commands) stub(sub, [...path, sub.name()]);
  };
  stub(program, []);
  try {
    await program.parseAsync(['node', 'plugway', ...args]);
  } catch (e) {
    // -V/--version prints and exits: it parsed
    if ((e as { code?: string }).code === 'commander.version') return { ran: 'version' };
    return { error: err.trim() || String(e) };
  }
  return ran ? { ran } : { error: `no command ran for: plugway ${args.join(' ')}` };
}

/** Every long option the command at `path` (`['serve']`, `['diagnose']`) accepts. */
export async function optionsOf(path: string[]): Promise<string[]> {
  let cmd: Command = await buildProgram();
  for (const name of path) {
    const next = cmd.commands.find((c) => c.name() === name);
    if (!next) throw new Error(`plugway ${path.join(' ')}: no such command`);
    cmd = next;
  }
  return cmd.options.map((o) => o.long).filter((l): l is string => !!l);
}
