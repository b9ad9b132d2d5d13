// Every `plugway plugin` subcommand has help with an example, is documented in docs/cli.md, and
// refuses unknown options and missing arguments by saying what was expected.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import type { Command } from 'commander';
import { buildProgram } from '../../src/cli/main.js';

const cliDoc = readFileSync(fileURLToPath(new URL('../../docs/cli.md', import.meta.url)), 'utf8');

async function pluginCommand(): Promise<Command> {
  const program = await buildProgram();
  const plugin = program.commands.find((c) => c.name() === 'plugin');
  assert.ok(plugin);
  return plugin;
}

function helpOf(cmd: Command): string {
  let text = '';
  cmd.configureOutput({ writeOut: (s) => (text += s), writeErr: (s) => (text += s) });
  cmd.exitOverride();
  try {
    cmd.outputHelp();
  } catch {
    // outputHelp does not throw; exitOverride is only for parse errors
  }
  // addHelpText('after') is emitted through the 'afterHelp' event
  (cmd as unknown as { emit(event: string, ctx: unknown): boolean }).emit('afterHelp', { error: false, command: cmd, write: (s: string) => (text += s) });
  return text;
}

test('each plugin subcommand has an example in --help and a section in docs/cli.md', async () => {
  const plugin = await pluginCommand();
  const mine = ['create', 'test', 'pack', 'keygen', 'sign', 'verify', 'install', 'discover', 'list', 'info', 'enable', 'disable', 'reload'];
  for (const name of mine) {
    const cmd = plugin.commands.find((c) => c.name() === name);
    assert.ok(cmd, `plugway plugin ${name} is registered`);
    assert.match(helpOf(cmd), /Example/, `plugway plugin ${name} --help shows an example`);
    assert.match(cliDoc, new RegExp(`plugway plugin ${name}\\b`), `docs/cli.md documents plugway plugin ${name}`);
  }
});

async function parseError(argv: string[]): Promise<string> {
  const program = await buildProgram();
  let err = '';
  const silence = (c: Command) => {
    c.configureOutput({ writeOut: () => {}, writeErr: (s) => (err += s) });
    c.exitOverride();
    c.commands.forEach(silence);
  };
  silence(program);
  await assert.rejects(program.parseAsync(['node', 'plugway', ...argv]));
  return err;
}

test('unknown options and missing arguments say what was expected', async () => {
  assert.match(await parseError(['plugin', 'create']), /missing required argument 'name'/);
  assert.match(await parseError(['plugin', 'pack', 'x', '--bogus']), /unknown option '--bogus'/);
  assert.match(await parseError(['plugin', 'sign', 'x.tgz']), /required option '--key <private.pem>' not specified/);
  assert.match(await parseError(['plugin', 'create', 'x', '--runtime', 'jvm']), /Allowed choices are inprocess, worker, wasm/);
  assert.match(await parseError(['plugin', 'test', 'x', '--rounds', '0']), /expected a whole number/);
  assert.match(await parseError(['plugin', 'info']), /missing required argument 'id'/);
});
