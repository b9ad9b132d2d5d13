// Fixture matching: endpoints with {params}, subset comparison, fixture file checks.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { isPlugwayError } from '../errors.js';
import type { EndpointSpec } from '../manifest/types.js';
import { loadFixtures, matchEndpoint, subsetDiff, toPluginRequest } from './fixtures.js';

const ep = (method: EndpointSpec['method'], path: string): EndpointSpec => ({ method, path, auth: 'none', roles: [], permissions: [] });

test('matches endpoints and binds path parameters', () => {
  const eps = [ep('GET', '/a/{id}/items/{item}'), ep('POST', '/a')];
  assert.deepEqual(matchEndpoint(eps, 'get', '/a/7/items/x%20y?z=1')?.params, { id: '7', item: 'x y' });
  assert.equal(matchEndpoint(eps, 'GET', '/a')?.endpoint, undefined);
  assert.equal(matchEndpoint(eps, 'POST', '/a')?.endpoint.path, '/a');
  assert.equal(matchEndpoint(eps, 'GET', '/a/7/items'), undefined);
});

test('builds a PluginRequest with query and lower-cased headers', () => {
  const r = toPluginRequest({ path: '/x?a=1', headers: { 'X-Y': 'z' } }, {}, 'r1');
  assert.deepEqual(r.query, { a: '1' });
  assert.equal(r.headers['x-y'], 'z');
  assert.equal(r.method, 'GET');
});

test('subset comparison reports every difference with its path', () => {
  assert.deepEqual(subsetDiff({ a: 1, b: { c: [1, { d: 2 }] } }, { a: 1, extra: true, b: { c: [1, { d: 2, e: 3 }, 9] } }), []);
  assert.deepEqual(subsetDiff({ a: 1, b: { c: 2 } }, { a: 2, b: {} }), ['a: expected 1, got 2', 'b.c: expected 2, got undefined']);
  assert.deepEqual(subsetDiff(null, undefined), []);
  assert.equal(subsetDiff([1, 2], [1]).length, 1);
});

test('refuses a malformed fixtures file with where and why', () => {
  const dir = mkdtempSync(join(tmpdir(), 'plugway-fixtures-'));
  try {
    writeFileSync(join(dir, 'fixtures.json'), JSON.stringify([{ name: 'x', expect: {} }]));
    assert.throws(
      () => loadFixtures(dir),
      (e) => isPlugwayError(e, 'PLW_ERR_FIXTURES_INVALID') && /\[0\]/.test(e.message),
    );
    writeFileSync(join(dir, 'fixtures.json'), JSON.stringify([{ name: 'x', call: { method: 'm' } }]));
    assert.deepEqual(loadFixtures(dir).fixtures[0]?.expect, {});
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
