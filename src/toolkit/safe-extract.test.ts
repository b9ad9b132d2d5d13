// Hostile archives: path traversal, absolute paths, symlinks and hard links are refused whole.
import assert from 'node:assert/strict';
import { existsSync, linkSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import * as tar from 'tar';
import { isPlugwayError } from '../errors.js';
import { safeExtract } from './safe-extract.js';

const work = mkdtempSync(join(tmpdir(), 'plugway-extract-test-'));
after(() => rmSync(work, { recursive: true, force: true }));

const invalid = (e: unknown) => isPlugwayError(e, 'PLW_ERR_PACKAGE_INVALID');

test('extracts plain files and folders', async () => {
  const src = join(work, 'ok');
  mkdirSync(join(src, 'dist'), { recursive: true });
  writeFileSync(join(src, 'plugin.yaml'), 'id: x\n');
  writeFileSync(join(src, 'dist', 'index.js'), 'export default {}\n');
  const file = join(work, 'ok.tgz');
  await tar.c({ gzip: true, file, cwd: src }, ['plugin.yaml', 'dist']);
  const dest = join(work, 'ok-out');
  await safeExtract(file, dest);
  assert.deepEqual(readdirSync(dest).sort(), ['dist', 'plugin.yaml']);
});

test('refuses an entry that climbs out with ..', async () => {
  const base = join(work, 'trav');
  mkdirSync(join(base, 'inner'), { recursive: true });
  writeFileSync(join(base, 'escape.txt'), 'x');
  const file = join(work, 'trav.tgz');
  await tar.c({ gzip: true, file, cwd: join(base, 'inner'), preservePaths: true }, ['../escape.txt']);
  const names: string[] = [];
  await tar.t({ file, onReadEntry: (e) => void names.push(e.path) });
  assert.deepEqual(names, ['../escape.txt'], 'the fixture really holds a traversal');
  const dest = join(work, 'trav-out', 'pkg');
  await assert.rejects(safeExtract(file, dest), invalid);
  assert.equal(existsSync(join(work, 'trav-out', 'escape.txt')), false);
  assert.equal(existsSync(dest), false);
});

test('refuses an absolute path', async () => {
  const f = join(work, 'abs-src.txt');
  writeFileSync(f, 'x');
  const file = join(work, 'abs.tgz');
  await tar.c({ gzip: true, file, preservePaths: true }, [f]);
  await assert.rejects(safeExtract(file, join(work, 'abs-out')), invalid);
});

test('refuses symbolic links and hard links', async () => {
  const src = join(work, 'links');
  mkdirSync(src);
  writeFileSync(join(src, 'a.txt'), 'a');
  symlinkSync('/etc/passwd', join(src, 'passwd'));
  const file = join(work, 'sym.tgz');
  await tar.c({ gzip: true, file, cwd: src }, ['a.txt', 'passwd']);
  await assert.rejects(safeExtract(file, join(work, 'sym-out')), (e) => invalid(e) && /SymbolicLink/.test((e as Error).message));

  const hard = join(work, 'hard');
  mkdirSync(hard);
  writeFileSync(join(hard, 'a.txt'), 'a');
  linkSync(join(hard, 'a.txt'), join(hard, 'b.txt'));
  const hfile = join(work, 'hard.tgz');
  await tar.c({ gzip: true, file: hfile, cwd: hard }, ['a.txt', 'b.txt']);
  await assert.rejects(safeExtract(hfile, join(work, 'hard-out')), (e) => invalid(e) && /Link/.test((e as Error).message));
});

test('refuses something that is not a tgz', async () => {
  const file = join(work, 'junk.tgz');
  writeFileSync(file, 'not a tarball');
  await assert.rejects(safeExtract(file, join(work, 'junk-out')), invalid);
});
