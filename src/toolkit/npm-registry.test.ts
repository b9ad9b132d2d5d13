import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { isPlugwayError } from '../errors.js';
import { checkIntegrity, installScriptsOf, parseNpmSpec, registryUrl, type NpmVersion } from './npm-registry.js';

test('npm specs: names, scopes, ranges and dist-tags', () => {
  assert.deepEqual(parseNpmSpec('npm:hello'), { name: 'hello', range: 'latest' });
  assert.deepEqual(parseNpmSpec('npm:hello@^1.2.0'), { name: 'hello', range: '^1.2.0' });
  assert.deepEqual(parseNpmSpec('npm:@acme/hello@next'), { name: '@acme/hello', range: 'next' });
  assert.deepEqual(parseNpmSpec('npm:@acme/hello'), { name: '@acme/hello', range: 'latest' });
  assert.throws(
    () => parseNpmSpec('npm:../etc/passwd'),
    (e: unknown) => isPlugwayError(e) && e.code === 'PLW_ERR_CLI_USAGE',
  );
});

test("the registry: the flag, then PLUGWAY_NPM_REGISTRY, then npm's own setting, then npmjs.org", () => {
  assert.equal(registryUrl('http://127.0.0.1:4873', {}), 'http://127.0.0.1:4873/');
  assert.equal(registryUrl(undefined, { PLUGWAY_NPM_REGISTRY: 'http://a/', npm_config_registry: 'http://b/' }), 'http://a/');
  assert.equal(registryUrl(undefined, { npm_config_registry: 'http://b' }), 'http://b/');
  assert.equal(registryUrl(undefined, {}), 'https://registry.npmjs.org/');
});

function version(data: Buffer, dist: Partial<NpmVersion['dist']>): NpmVersion {
  return { name: 'p', version: '1.0.0', dist: { tarball: 'http://x/p.tgz', ...dist } };
}

test('a tarball is checked against the strongest SRI hash, else the sha1 shasum, and never accepted unchecked', () => {
  const data = Buffer.from('tarball bytes');
  const sri = (alg: string, d: Buffer) => `${alg}-${createHash(alg).update(d).digest('base64')}`;
  checkIntegrity(data, version(data, { integrity: sri('sha512', data) }));
  // a weaker hash that matches does not save a stronger one that does not
  assert.throws(
    () => checkIntegrity(data, version(data, { integrity: `${sri('sha1', data)} ${sri('sha512', Buffer.from('other'))}` })),
    (e: unknown) => isPlugwayError(e) && e.code === 'PLW_ERR_INTEGRITY_MISMATCH' && /sha512/.test(e.message),
  );
  checkIntegrity(data, version(data, { shasum: createHash('sha1').update(data).digest('hex') }));
  assert.throws(
    () => checkIntegrity(data, version(data, { shasum: '0'.repeat(40) })),
    (e: unknown) => isPlugwayError(e) && e.code === 'PLW_ERR_INTEGRITY_MISMATCH',
  );
  assert.throws(
    () => checkIntegrity(data, version(data, {})),
    (e: unknown) => isPlugwayError(e) && e.code === 'PLW_ERR_PACKAGE_INVALID',
  );
});

test('install scripts: preinstall, install, postinstall, and a native build', () => {
  assert.deepEqual(installScriptsOf({ scripts: { test: 'x', prepack: 'y' } }), []);
  assert.deepEqual(installScriptsOf({ scripts: { preinstall: 'a', postinstall: 'b' } }), ['preinstall', 'postinstall']);
  assert.deepEqual(installScriptsOf({ gypfile: true }), ['install (node-gyp)']);
  assert.deepEqual(installScriptsOf({ hasInstallScript: true }), ['install']);
});
