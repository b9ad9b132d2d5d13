// docs/authoring.md's plugin examples are real: each ```ts file=<kind> block is put into a scaffolded
// plugin of that kind, type-checked and built, and run through the host with its ```json fixtures=<kind>.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, test } from 'node:test';
import { PLUGIN_KINDS, type PluginKind } from '../../src/sdk/types.js';
import { formatReport } from '../../src/toolkit/report.js';
import { testPlugin } from '../../src/toolkit/harness.js';
import { createPlugin } from '../../src/toolkit/scaffold.js';

const doc = readFileSync(fileURLToPath(new URL('../../docs/authoring.md', import.meta.url)), 'utf8');
const work = mkdtempSync(join(tmpdir(), 'plugway-docs-'));
after(() => rmSync(work, { recursive: true, force: true }));

function blocks(lang: string, attr: string): Map<string, string> {
  const out = new Map<string, string>();
  const re = new RegExp('```' + lang + ' ' + attr + '=([\\w-]+)\\n([\\s\\S]*?)```', 'g');
  for (const m of doc.matchAll(re)) out.set(m[1]!, m[2]!);
  return out;
}

const sources = blocks('ts', 'file');
const fixtures = blocks('json', 'fixtures');

test('every kind has an example and fixtures in docs/authoring.md', () => {
  assert.deepEqual([...sources.keys()].sort(), [...PLUGIN_KINDS].sort());
  assert.deepEqual([...fixtures.keys()].sort(), [...PLUGIN_KINDS].sort());
});

for (const kind of PLUGIN_KINDS) {
  test(`the ${kind} example builds and passes its fixtures through the host`, async () => {
    const { dir } = createPlugin({ name: `doc-${kind}`, kind: kind as PluginKind, dir: work });
    writeFileSync(join(dir, 'src', 'index.ts'), sources.get(kind)!);
    writeFileSync(join(dir, 'fixtures.json'), fixtures.get(kind)!);
    const report = await testPlugin(dir, { rounds: 2 });
    assert.equal(report.ok, true, formatReport(report));
    assert.ok(report.fixtures.length > 0);
  });
}
