// pack → sign → install on real files: integrity, signatures, engine, dependencies, atomicity.
import assert from 'node:assert/strict';
import { createPublicKey } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as tar from 'tar';
import { isPlugwayError } from '../errors.js';
import { installPlugin } from './install.js';
import { verifyIntegrity } from './integrity.js';
import { packPlugin } from './pack.js';
import { createPlugin } from './scaffold.js';
import { generateSigningKeys, keyIdOf, parsePublicKey, signPackage, verifyPackage } from './signing.js';

const work = mkdtempSync(join(tmpdir(), 'plugway-install-test-'));
after(() => rmSync(work, { recursive: true, force: true }));

function code(err: unknown): string {
  return isPlugwayError(err) ? err.code : String(err);
}

/** Repacks `pkg` after `edit` changed its unpacked files (integrity.json untouched). */
async function tamper(pkg: string, out: string, edit: (dir: string) => void): Promise<string> {
  const dir = mkdtempSync(join(work, 'tamper-'));
  await tar.x({ file: pkg, cwd: dir });
  edit(dir);
  await tar.c({ gzip: true, file: out, cwd: dir, portable: true }, readdirSync(dir));
  return out;
}

function pluginsLeft(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir) : [];
}

describe('pack, sign, install', () => {
  let pkg: string;
  const keys = generateSigningKeys();
  const trusted = [parsePublicKey(keys.publicPem)];

  before(async () => {
    const { dir } = createPlugin({ name: 'hello', dir: join(work, 'src') });
    pkg = (await packPlugin(dir)).file;
  });

  test('pack writes manifest, built entry and integrity.json', async () => {
    const names: string[] = [];
    await tar.t({ file: pkg, onReadEntry: (e) => void names.push(e.path) });
    for (const f of ['plugin.yaml', 'dist/index.js', 'integrity.json', 'fixtures.json', 'README.md']) assert.ok(names.includes(f), `${f} in ${names}`);
    assert.ok(!names.some((n) => n.startsWith('src/')), 'sources stay out');
    const dir = mkdtempSync(join(work, 'x-'));
    await tar.x({ file: pkg, cwd: dir });
    assert.ok(verifyIntegrity(dir, pkg).files['dist/index.js']);
  });

  test('installs an unsigned package when no key is trusted', async () => {
    const plugins = join(work, 'plugins-a');
    const r = await installPlugin(pkg, { pluginsDir: plugins });
    assert.equal(r.id, 'hello');
    assert.ok(existsSync(join(plugins, 'hello', 'dist', 'index.js')));
    assert.deepEqual(pluginsLeft(plugins), ['hello']);
    await assert.rejects(installPlugin(pkg, { pluginsDir: plugins }), (e) => code(e) === 'PLW_ERR_ALREADY_INSTALLED');
    const again = await installPlugin(pkg, { pluginsDir: plugins, force: true });
    assert.equal(again.replaced, join(plugins, 'hello'));
    assert.deepEqual(pluginsLeft(plugins), ['hello']);
  });

  test('a signed package installs when its key is trusted; sign/verify round trip', async () => {
    const signed = join(work, 'signed.tgz');
    writeFileSync(signed, readFileSync(pkg));
    signPackage(signed, keys.privatePem);
    assert.equal(verifyPackage(signed, trusted).keyId, createHash16(keys.publicPem));
    const plugins = join(work, 'plugins-b');
    const r = await installPlugin(signed, { pluginsDir: plugins, trustedKeys: trusted });
    assert.equal(r.signedBy, createHash16(keys.publicPem));
  });

  test('with trusted keys, unsigned, foreign-signed and altered packages are refused and leave nothing', async () => {
    const plugins = join(work, 'plugins-c');
    await assert.rejects(installPlugin(pkg, { pluginsDir: plugins, trustedKeys: trusted }), (e) => code(e) === 'PLW_ERR_SIGNATURE_MISSING');

    const foreign = join(work, 'foreign.tgz');
    writeFileSync(foreign, readFileSync(pkg));
    signPackage(foreign, generateSigningKeys().privatePem);
    await assert.rejects(installPlugin(foreign, { pluginsDir: plugins, trustedKeys: trusted }), (e) => code(e) === 'PLW_ERR_SIGNATURE_INVALID');

    const signed = join(work, 'signed-then-altered.tgz');
    writeFileSync(signed, readFileSync(pkg));
    signPackage(signed, keys.privatePem);
    const sig = readFileSync(`${signed}.sig`);
    await tamper(signed, signed, (d) => writeFileSync(join(d, 'dist', 'index.js'), 'export default { handleRequest: () => ({ statusCode: 418 }) };'));
    writeFileSync(`${signed}.sig`, sig);
    await assert.rejects(installPlugin(signed, { pluginsDir: plugins, trustedKeys: trusted }), (e) => code(e) === 'PLW_ERR_SIGNATURE_INVALID');

    await assert.rejects(installPlugin(join(work, 'src', 'hello'), { pluginsDir: plugins, trustedKeys: trusted }), (e) => code(e) === 'PLW_ERR_SIGNATURE_MISSING');
    assert.deepEqual(
      pluginsLeft(plugins).filter((n) => n !== '.keep'),
      [],
    );
  });

  test('an altered file, an extra file or a missing file fails the integrity check', async () => {
    const plugins = join(work, 'plugins-d');
    mkdirSync(plugins);
    const altered = await tamper(pkg, join(work, 'altered.tgz'), (d) => writeFileSync(join(d, 'dist', 'index.js'), '// evil'));
    await assert.rejects(installPlugin(altered, { pluginsDir: plugins }), (e) => code(e) === 'PLW_ERR_INTEGRITY_MISMATCH' && /dist\/index\.js/.test((e as Error).message));
    const extra = await tamper(pkg, join(work, 'extra.tgz'), (d) => writeFileSync(join(d, 'dist', 'extra.js'), '1'));
    await assert.rejects(installPlugin(extra, { pluginsDir: plugins }), (e) => code(e) === 'PLW_ERR_INTEGRITY_MISMATCH');
    const missing = await tamper(pkg, join(work, 'missing.tgz'), (d) => rmSync(join(d, 'README.md')));
    await assert.rejects(installPlugin(missing, { pluginsDir: plugins }), (e) => code(e) === 'PLW_ERR_INTEGRITY_MISMATCH');
    assert.deepEqual(pluginsLeft(plugins), []);
  });

  test('engine range and dependencies are checked against the target folder', async () => {
    const plugins = join(work, 'plugins-e');
    await assert.rejects(installPlugin(pkg, { pluginsDir: plugins, plugwayVersion: '9.0.0' }), (e) => code(e) === 'PLW_ERR_ENGINE_MISMATCH');

    const { dir } = createPlugin({ name: 'needs-hello', dir: join(work, 'src') });
    const manifest = readFileSync(join(dir, 'plugin.yaml'), 'utf8').replace('/needs-hello/hello/', '/needs-hello/hi/');
    writeFileSync(join(dir, 'plugin.yaml'), `${manifest}dependencies:\n  - plugin: hello\n    version: ">=0.2.0"\n`);
    const dep = (await packPlugin(dir)).file;
    await assert.rejects(installPlugin(dep, { pluginsDir: plugins }), (e) => code(e) === 'PLW_ERR_DEPENDENCY_MISSING');
    await installPlugin(pkg, { pluginsDir: plugins });
    await assert.rejects(installPlugin(dep, { pluginsDir: plugins }), (e) => code(e) === 'PLW_ERR_DEPENDENCY_VERSION');
    assert.deepEqual(pluginsLeft(plugins), ['hello']);
  });
});

function createHash16(pem: string): string {
  return keyIdOf(createPublicKey(pem));
}
