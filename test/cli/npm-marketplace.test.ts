// npm as the marketplace, against a real registry: Verdaccio on loopback (no uplinks). A plugin
// scaffolded by plugway is packed and published with npm, found by `plugway plugin search`, and
// installed by name into a running gateway with its npm dependency; integrity, signatures,
// install scripts and non-plugins are refused with their codes.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { generateSigningKeys, signPackage } from '../../src/toolkit/signing.js';
import { PLUGWAY_BIN } from '../helpers/cli.js';
import { startNpmMirror, type NpmMirror } from '../helpers/npm-mirror.js';
import { CHECKOUT, npmEnv, run, type Run } from '../helpers/packed-plugway.js';
import { startVerdaccio, type Verdaccio } from '../helpers/verdaccio.js';

const work = mkdtempSync(join(tmpdir(), 'plugway-npm-'));
let registry: Verdaccio;
let mirror: NpmMirror;
let env: NodeJS.ProcessEnv;
let gateway: { url: string; child: ChildProcess } | undefined;
const plugins = join(work, 'gateway', 'plugins');
const stateDir = join(work, 'gateway', 'state');
const keys = generateSigningKeys();
const publicKey = join(work, 'signing.pub');
let signature = '';

const plugway = (args: string[], cwd = work): Promise<Run> => run(process.execPath, [PLUGWAY_BIN, ...args], { cwd, env });
const npm = (args: string[], cwd: string): Promise<Run> => run('npm', args, { cwd, env });
const ok = (r: Run, what: string): Run => (assert.equal(r.code, 0, `${what}:\n${r.stdout}\n${r.stderr}`), r);

function writePackage(dir: string, files: Record<string, string>): string {
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(join(dir, rel, '..'), { recursive: true });
    writeFileSync(join(dir, rel), text);
  }
  return dir;
}

/** A plugin package made from the published hello-market: another id, another package.json. */
function variant(id: string, pkg: Record<string, unknown>): string {
  const dir = join(work, 'variants', id);
  const source = join(work, 'authors', 'hello-market');
  cpSync(join(source, 'dist'), join(dir, 'dist'), { recursive: true });
  writeFileSync(join(dir, 'plugin.yaml'), readFileSync(join(source, 'plugin.yaml'), 'utf8').replaceAll('hello-market', id));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: id, version: '0.1.0', type: 'module', keywords: ['plugway-plugin'], ...pkg }, null, 2));
  return dir;
}

before(
  async () => {
    [registry, mirror] = await Promise.all([startVerdaccio(join(work, 'verdaccio')), startNpmMirror(CHECKOUT)]);
    // the build tools come from the mirror of node_modules; @market/* and the plugins from Verdaccio
    env = npmEnv(join(work, 'home'), mirror.url);
    writeFileSync(env.npm_config_userconfig!, `@market:registry=${registry.url}\n//${registry.authKey}:_authToken=${registry.token}\n`);
    writeFileSync(publicKey, keys.publicPem);

    // a library the plugin depends on at run time
    const lib = writePackage(join(work, 'lib'), {
      'package.json': JSON.stringify({ name: '@market/greet-words', version: '1.0.0', type: 'module', main: 'index.js', types: 'index.d.ts' }),
      'index.js': 'export const shout = (s) => `${s.toUpperCase()}!`;\n',
      'index.d.ts': 'export declare function shout(s: string): string;\n',
    });
    ok(await npm(['publish'], lib), 'npm publish @market/greet-words');

    // the plugin, as an author makes it: scaffold, add the dependency, npm install, npm pack, sign, npm publish
    ok(await plugway(['plugin', 'create', 'hello-market', '--dir', join(work, 'authors')]), 'plugin create');
    const dir = join(work, 'authors', 'hello-market');
    const src = readFileSync(join(dir, 'src', 'index.ts'), 'utf8');
    const changed = src
      .replace("from 'plugway/sdk';", "from 'plugway/sdk';\nimport { shout } from '@market/greet-words';")
      .replace('body: { message: `${ctx.config.greeting}, ${name}!`', 'body: { message: shout(`${ctx.config.greeting}, ${name}`)');
    assert.notEqual(changed, src);
    writeFileSync(join(dir, 'src', 'index.ts'), changed);
    const pj = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ ...pj, dependencies: { '@market/greet-words': '^1.0.0' } }, null, 2));
    ok(await npm(['install'], dir), 'npm install (plugin)');
    const packed = ok(await npm(['pack', '--json'], dir), 'npm pack (plugin)');
    const [info] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as Array<{ filename: string; files: Array<{ path: string }> }>;
    assert.deepEqual(info!.files.map((f) => f.path).sort(), ['README.md', 'dist/index.js', 'fixtures.json', 'package.json', 'plugin.yaml']);
    const tgz = join(dir, info!.filename);
    signature = signPackage(tgz, keys.privatePem).sigFile;
    ok(await npm(['publish', tgz, `--registry=${registry.url}`], dir), 'npm publish (plugin)');

    // the gateway the plugins go into
    mkdirSync(plugins, { recursive: true });
    const child = spawn(process.execPath, [PLUGWAY_BIN, 'serve', '--plugins', plugins, '--port', '0', '--state-dir', stateDir], { cwd: work, env, stdio: ['ignore', 'pipe', 'pipe'] });
    gateway = await new Promise((resolve, reject) => {
      let out = '';
      const seen = (d: Buffer) => {
        out += d.toString();
        const m = /listening on (http:\/\/\S+)/.exec(out);
        if (m) resolve({ url: m[1]!, child });
      };
      child.stdout.on('data', seen);
      child.stderr.on('data', seen);
      child.once('exit', (code) => reject(new Error(`plugway serve exited with ${code}: ${out}`)));
    });
  },
  { timeout: 240_000 },
);

after(async () => {
  if (gateway && gateway.child.exitCode === null) {
    const exited = new Promise((r) => gateway!.child.once('exit', r));
    gateway.child.kill('SIGTERM');
    await exited;
  }
  await Promise.all([registry?.stop(), mirror?.close()]);
  rmSync(work, { recursive: true, force: true });
});

const install = (spec: string, ...extra: string[]) => plugway(['plugin', 'install', spec, '--plugins', plugins, '--registry', registry.url, ...extra]);

test('plugin search lists the packages with the plugway-plugin keyword, not other packages', async () => {
  const found = ok(await plugway(['plugin', 'search', 'hello', '--registry', registry.url]), 'search hello');
  assert.match(found.stdout, /^hello-market\s+0\.1\.0\s+A handler plugin/m);
  assert.match(found.stdout, /plugway plugin install npm:hello-market/);
  const all = JSON.parse(ok(await plugway(['plugin', 'search', '--json', '--registry', registry.url]), 'search').stdout) as { plugins: Array<{ name: string }> };
  assert.deepEqual(
    all.plugins.map((p) => p.name),
    ['hello-market'],
  );
  const none = ok(await plugway(['plugin', 'search', 'nothing-like-this', '--registry', registry.url]), 'search nothing');
  assert.match(none.stdout, /^No plugins found/);
});

test('with a trusted key, an npm plugin without its plugway signature is refused', async () => {
  const r = await install('npm:hello-market', '--trusted-key', publicKey);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^plugway: PLW_ERR_SIGNATURE_MISSING: npm package hello-market@0\.1\.0 comes with no plugway signature/);
  assert.deepEqual(readdirSync(plugins), []);
});

test('plugin install npm:<package>@<range> puts the plugin and its npm dependency in its folder; the running gateway serves it', async () => {
  const r = ok(await install('npm:hello-market@^0.1.0', '--trusted-key', publicKey, '--signature', signature, '--url', gateway!.url, '--state-dir', stateDir), 'install');
  assert.match(r.stdout, /^Installed hello-market@0\.1\.0 → .*hello-market \(npm hello-market@0\.1\.0, sha512 verified\) \(signed by key [0-9a-f]{16}\); the gateway at .* started it$/m);
  // Verdaccio without uplinks does not answer audits: said, not fatal
  assert.match(r.stdout, /^ {2}npm audit: not available \(/m);
  assert.ok(existsSync(join(plugins, 'hello-market', 'node_modules', '@market', 'greet-words', 'index.js')));
  assert.ok(!existsSync(join(plugins, 'hello-market', 'node_modules', 'typescript')), 'devDependencies stay out');
  const res = await fetch(`${gateway!.url}/hello-market/hello/ada`);
  assert.equal(res.status, 200);
  assert.equal(((await res.json()) as { message: string }).message, 'HELLO, ADA!');
});

test('a range no version matches, and a package without plugin.yaml, are refused with their codes', async () => {
  const none = await install('npm:hello-market@^2.0.0');
  assert.equal(none.code, 1);
  assert.match(none.stderr, /PLW_ERR_NPM_VERSION_NOT_FOUND: npm package hello-market has no version matching \^2\.0\.0 .*\(it has: 0\.1\.0\)/);
  const lib = await install('npm:@market/greet-words');
  assert.equal(lib.code, 1);
  assert.match(lib.stderr, /PLW_ERR_NPM_NOT_A_PLUGIN: npm package @market\/greet-words@1\.0\.0 is not a plugway plugin/);
});

test('a tarball that does not match its dist.integrity is refused', async () => {
  ok(await npm(['publish', `--registry=${registry.url}`], variant('tampered-plugin', {})), 'publish tampered-plugin');
  const stored = join(registry.storage, 'tampered-plugin', 'tampered-plugin-0.1.0.tgz');
  assert.ok(existsSync(stored), `Verdaccio keeps tarballs in ${stored}`);
  const bytes = readFileSync(stored);
  bytes[bytes.length - 5] = bytes[bytes.length - 5]! ^ 0xff;
  writeFileSync(stored, bytes);
  const r = await install('npm:tampered-plugin');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /PLW_ERR_INTEGRITY_MISMATCH: Package tampered-plugin@0\.1\.0: the tarball \(dist\.integrity sha512\) does not match/);
  assert.ok(!existsSync(join(plugins, 'tampered-plugin')));
});

test('install scripts, of the package or of a dependency, are refused unless --allow-scripts', async () => {
  const script = "node -e \"require('fs').writeFileSync('ran-install-script', '')\"";
  ok(await npm(['publish', `--registry=${registry.url}`], variant('scripted-plugin', { scripts: { postinstall: script } })), 'publish scripted-plugin');
  const own = await install('npm:scripted-plugin');
  assert.equal(own.code, 1);
  assert.match(own.stderr, /PLW_ERR_INSTALL_SCRIPTS: npm package scripted-plugin@0\.1\.0: its postinstall would run install scripts; refused/);

  const dep = writePackage(join(work, 'scripted-dep'), {
    'package.json': JSON.stringify({ name: '@market/scripted-dep', version: '1.0.0', scripts: { postinstall: script } }),
    'index.js': 'module.exports = 1;\n',
  });
  ok(await npm(['publish'], dep), 'publish @market/scripted-dep');
  ok(await npm(['publish', `--registry=${registry.url}`], variant('dep-scripted-plugin', { dependencies: { '@market/scripted-dep': '1.0.0' } })), 'publish dep-scripted-plugin');
  const viaDep = await install('npm:dep-scripted-plugin');
  assert.equal(viaDep.code, 1);
  assert.match(viaDep.stderr, /PLW_ERR_INSTALL_SCRIPTS: npm package dep-scripted-plugin@0\.1\.0: its dependencies @market\/scripted-dep@1\.0\.0 would run install scripts/);
  assert.ok(!existsSync(join(plugins, 'dep-scripted-plugin')));

  ok(await install('npm:dep-scripted-plugin', '--allow-scripts', '--no-audit'), 'install --allow-scripts');
  assert.ok(existsSync(join(plugins, 'dep-scripted-plugin', 'node_modules', '@market', 'scripted-dep', 'ran-install-script')), 'the allowed script ran');
});
