import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { defaultHostConfig } from '../config.js';
import { createHost } from '../host.js';
import { VersionStore } from '../../state/versions.js';

const tmp = (p: string) => mkdtemp(join(tmpdir(), `plugway-${p}-`));

async function writeVersion(root: string, version: string): Promise<void> {
  const dir = join(root, 'copied');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'plugin.yaml'), `id: copied\nname: copied\nversion: ${version}\nkind: handler\nruntime:\n  type: inprocess\n  entry: index.mjs\n`);
  await writeFile(join(dir, 'index.mjs'), `export default { handleRequest() { return { statusCode: 200, body: '${version}' }; } };\n`);
}

async function started(root: string) {
  const config = defaultHostConfig();
  config.plugins.directories = [root];
  const host = createHost({ config, logger: pino({ level: 'silent' }) });
  await host.start();
  return host;
}

test('the first copy of a running version holds the bytes the loader read, even after the files changed on disk', async () => {
  const root = await tmp('copies');
  await writeVersion(root, '1.0.0');
  const host = await started(root);
  try {
    const rec = host.registry.get('copied')!;
    assert.ok(rec.files?.contents, 'a small plugin is held in memory until it is kept');
    // A deploy writes the next version between start-up and the background copy.
    await writeVersion(root, '2.0.0');
    const store = new VersionStore(await tmp('state'), 3);
    await host.releases.attachVersions(store);
    await host.releases.whenKept('copied');
    const kept = await store.list('copied');
    assert.deepEqual(
      kept.map((v) => [v.version, v.hash]),
      [['1.0.0', rec.files!.hash]],
    );
    assert.match(await readFile(join(store.dirOf('copied', kept[0]!.hash), 'index.mjs'), 'utf8'), /body: '1\.0\.0'/);
    assert.equal(kept[0]!.entry, 'index.mjs');
    assert.equal(rec.files!.contents, undefined, 'the bytes are let go once kept');
    assert.equal(host.releases.hashKnown('copied'), rec.files!.hash);
  } finally {
    await host.stop();
  }
});

test('a plugin too large to hold is copied from disk, and not kept when its files changed since it was read', async () => {
  const root = await tmp('copies');
  await writeVersion(root, '1.0.0');
  const host = await started(root);
  try {
    const rec = host.registry.get('copied')!;
    rec.files = { hash: rec.files!.hash }; // what the loader keeps of a plugin over 1 MiB: the hash only
    await writeVersion(root, '2.0.0');
    const store = new VersionStore(await tmp('state'), 3);
    await host.releases.attachVersions(store);
    await host.releases.whenKept();
    assert.deepEqual(await store.list('copied'), [], '2.0.0 on disk is not kept as the running 1.0.0');
    // The reload sees new content (the hash read at start-up is 1.0.0's) and swaps.
    const report = await host.releases.reload('copied');
    assert.equal(report.unchanged, undefined);
    assert.equal(report.to, '2.0.0');
    assert.deepEqual(
      (await store.list('copied')).map((v) => v.version),
      ['2.0.0'],
    );
  } finally {
    await host.stop();
  }
});
