import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VersionStore } from './versions.js';

const tmp = (p: string) => mkdtemp(join(tmpdir(), `plugway-${p}-`));

async function writeVersion(dir: string, version: string): Promise<void> {
  await mkdir(join(dir, 'lib'), { recursive: true });
  await writeFile(join(dir, 'plugin.yaml'), `id: p\nname: p\nversion: ${version}\nkind: handler\n`);
  await writeFile(join(dir, 'index.mjs'), `export default { v: '${version}' };`);
  await writeFile(join(dir, 'lib', 'util.mjs'), `export const v = '${version}';`);
}

test('versions: content-addressed copies, newest first, pruned to keep (the desired one is kept)', async () => {
  const state = await tmp('versions');
  const src = join(await tmp('plugin'), 'p');
  const store = new VersionStore(state, 2);
  const hashes: string[] = [];
  for (const v of ['1.0.0', '2.0.0', '3.0.0']) {
    await writeVersion(src, v);
    const saved = await store.save('p', src.length ? { dir: src } : { dir: src });
    assert.equal(saved.existed, false);
    assert.match(saved.hash, /^[0-9a-f]{64}$/);
    assert.deepEqual(saved.files, ['index.mjs', 'lib/util.mjs', 'plugin.yaml']);
    assert.equal(await readFile(join(state, 'versions', 'p', saved.hash, 'lib', 'util.mjs'), 'utf8'), `export const v = '${v}';`);
    await store.record('p', { hash: saved.hash, version: v, files: saved.files, layout: saved.layout });
    hashes.push(saved.hash);
    if (v === '1.0.0') await store.setDesired('p', { hash: saved.hash, version: v, pinned: true });
  }
  // Same content again: no new copy.
  assert.equal((await store.save('p', { dir: src })).existed, true);
  const list = await store.list('p');
  assert.deepEqual(
    list.map((v) => v.version),
    ['3.0.0', '2.0.0', '1.0.0'],
    'keep 2 + the pinned one',
  );
  await store.setDesired('p', { hash: hashes[2]!, version: '3.0.0', pinned: false });
  await writeVersion(src, '4.0.0');
  const four = await store.save('p', { dir: src });
  await store.record('p', { hash: four.hash, version: '4.0.0', files: four.files, layout: four.layout });
  assert.deepEqual(
    (await store.list('p')).map((v) => v.version),
    ['4.0.0', '3.0.0'],
  );
  const dirs = (await readdir(join(state, 'versions', 'p'))).filter((d) => /^[0-9a-f]{64}$/.test(d)).sort();
  assert.deepEqual(dirs, [four.hash, hashes[2]!].sort(), 'pruned copies are deleted');
  assert.equal((await store.get('p', '3.0.0'))?.hash, hashes[2]);
  assert.equal((await store.get('p', hashes[2]!.slice(0, 10)))?.version, '3.0.0');
  assert.equal(await store.get('p', '1.0.0'), undefined);
  assert.equal((await new VersionStore(state, 2).desired('p'))?.version, '3.0.0', 'the index survives a new store on the same dir');
});

test('versions: a single-file plugin keeps its manifest and entry, and the snapshot knows the module type', async () => {
  const state = await tmp('versions');
  const dir = await tmp('single');
  await writeFile(join(dir, 'package.json'), '{"type":"module"}');
  await writeFile(join(dir, 'solo.yaml'), 'id: solo\nname: solo\nversion: 1.0.0\nkind: handler\n');
  await writeFile(join(dir, 'solo.js'), 'export default {};');
  const store = new VersionStore(state, 3);
  const saved = await store.save('solo', { manifestFile: join(dir, 'solo.yaml'), entryFile: join(dir, 'solo.js') });
  assert.deepEqual(saved.layout, { kind: 'file', manifest: 'solo.yaml', entry: 'solo.js' });
  assert.deepEqual(saved.candidate, { manifestFile: join(state, 'versions', 'solo', saved.hash, 'solo.yaml'), entryFile: join(state, 'versions', 'solo', saved.hash, 'solo.js') });
  assert.equal(JSON.parse(await readFile(join(state, 'versions', 'solo', saved.hash, 'package.json'), 'utf8')).type, 'module');
});
