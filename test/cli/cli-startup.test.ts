// What keeps the CLI's start-up short stays right: top-level help built from the summaries reads as the
// one built from every module; a run registers only the command it names; bin/plugway.js runs dist/
// when it is newer than src/ and the sources otherwise. (Start-up times: bench/cli, not here.)
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { Command } from 'commander';
import { buildProgram } from '../../src/cli/main.js';
import { CHECKOUT } from '../helpers/packed-plugway.js';

function helpOf(program: Command): string {
  let out = '';
  program.configureOutput({ writeOut: (s) => (out += s), writeErr: (s) => (out += s) });
  try {
    program.parse(['node', 'plugway', '--help']);
  } catch {
    // exitOverride: help ends in a CommanderError
  }
  return out;
}

test('plugway --help from the summaries reads exactly as the help built from every command module', async () => {
  const fast = helpOf(await buildProgram(['node', 'plugway', '--help']));
  const full = helpOf(await buildProgram());
  assert.equal(fast, full);
  assert.match(fast, /diagnose \[options\] <system> <url>/);
});

test("a run registers only the command it names, and under plugin only the subcommand's module", async () => {
  const names = (c: Command) => c.commands.map((x) => x.name()).sort();
  const list = await buildProgram(['node', 'plugway', 'plugin', 'list', '--url', 'http://127.0.0.1:1']);
  assert.deepEqual(names(list), ['plugin']);
  const plugin = list.commands[0]!;
  assert.deepEqual(names(plugin), ['disable', 'discover', 'enable', 'info', 'list', 'reload']);
  const all = await buildProgram(['node', 'plugway', 'plugin', '--help']);
  assert.ok(names(all.commands[0]!).includes('create') && names(all.commands[0]!).includes('search'));
  // --log-level before the command takes a value, which is not a command name
  assert.deepEqual(names(await buildProgram(['node', 'plugway', '--log-level', 'debug', 'serve'])), ['serve']);
  // every command has --log-level
  const every = (c: Command): boolean => c.options.some((o) => o.long === '--log-level') && c.commands.filter((x) => x.name() !== 'help').every(every);
  assert.ok(every(await buildProgram()));
});

const fake = mkdtempSync(join(tmpdir(), 'plugway-bin-'));
after(() => rmSync(fake, { recursive: true, force: true }));

test('bin/plugway.js runs dist/ when it is newer than every file under src/, the sources otherwise', () => {
  mkdirSync(join(fake, 'bin'));
  cpSync(join(CHECKOUT, 'bin', 'plugway.js'), join(fake, 'bin', 'plugway.js'));
  symlinkSync(join(CHECKOUT, 'node_modules'), join(fake, 'node_modules'));
  writeFileSync(join(fake, 'package.json'), '{"type":"module"}');
  mkdirSync(join(fake, 'src', 'cli', 'deep'), { recursive: true });
  writeFileSync(join(fake, 'src', 'cli', 'index.ts'), "const from: string = 'source';\nconsole.log(from);\n");
  writeFileSync(join(fake, 'src', 'cli', 'deep', 'other.ts'), 'export {};\n');
  mkdirSync(join(fake, 'dist', 'cli'), { recursive: true });
  writeFileSync(join(fake, 'dist', 'cli', 'index.js'), "console.log('dist');\n");
  const env = { ...process.env, PLUGWAY_USE_DIST: '' };
  const ran = (extra: NodeJS.ProcessEnv = {}) => spawnSync(process.execPath, [join(fake, 'bin', 'plugway.js')], { env: { ...env, ...extra }, encoding: 'utf8' }).stdout.trim();
  const at = (p: string, s: number) => utimesSync(join(fake, p), s, s);
  const now = Date.now() / 1000;
  for (const p of ['package.json', 'src/cli/index.ts', 'src/cli/deep/other.ts']) at(p, now - 100);
  at('dist/cli/index.js', now - 50);
  assert.equal(ran(), 'dist');
  at('src/cli/deep/other.ts', now - 10); // an edit deep under src/
  assert.equal(ran(), 'source');
  assert.equal(ran({ PLUGWAY_USE_DIST: '1' }), 'dist');
  at('src/cli/deep/other.ts', now - 100);
  assert.equal(ran(), 'dist');
  assert.equal(ran({ PLUGWAY_USE_DIST: '0' }), 'source');
});
