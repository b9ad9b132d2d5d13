import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DependencyGraph, type GraphNode } from './dependency-graph.js';

const n = (id: string, deps: Array<string | [string, string, boolean?]> = [], version = '1.0.0'): GraphNode => ({
  id,
  version,
  dependencies: deps.map((d) => (typeof d === 'string' ? { id: d, range: '*', optional: false } : { id: d[0], range: d[1], optional: d[2] ?? false })),
});

test('start order is levels: independent plugins share a level; stop is the reverse', () => {
  const g = new DependencyGraph([n('c', ['a', 'b']), n('a'), n('b'), n('d', ['c'])]);
  assert.deepEqual(g.startOrder(), [['a', 'b'], ['c'], ['d']]);
  assert.deepEqual(g.stopOrder(), [['d'], ['c'], ['a', 'b']]);
});

test('registration order does not matter', () => {
  const nodes = [n('api', ['db', 'cache']), n('cache', ['db']), n('db')];
  const a = new DependencyGraph(nodes).startOrder();
  const b = new DependencyGraph([...nodes].reverse()).startOrder();
  assert.deepEqual(a, b);
  assert.deepEqual(a, [['db'], ['cache'], ['api']]);
});

test('a cycle names its whole path and fails its members and dependents only', () => {
  const g = new DependencyGraph([n('a', ['b']), n('b', ['c']), n('c', ['a']), n('x', ['a']), n('free')]);
  const r = g.analyze();
  assert.equal(r.failed.get('a')?.code, 'PLW_ERR_DEPENDENCY_CYCLE');
  assert.match(r.failed.get('a')!.message, /a → b → c → a/);
  assert.equal(r.failed.get('x')?.code, 'PLW_ERR_DEPENDENCY_FAILED');
  assert.deepEqual(r.levels, [['free']]);
});

test('missing dependency, version mismatch, optional absent', () => {
  const g = new DependencyGraph([
    n('needs-ghost', ['ghost']),
    n('old', [], '1.2.0'),
    n('needs-new', [['old', '>=2.0.0']]),
    n('opt', [['maybe', '^1', true]]),
    n('pre', [['beta', '>=1.0.0']]),
    n('beta', [], '1.1.0-beta.1'),
  ]);
  const r = g.analyze();
  assert.equal(r.failed.get('needs-ghost')?.code, 'PLW_ERR_DEPENDENCY_MISSING');
  assert.match(r.failed.get('needs-ghost')!.message, /ghost/);
  assert.equal(r.failed.get('needs-new')?.code, 'PLW_ERR_DEPENDENCY_VERSION');
  assert.match(r.failed.get('needs-new')!.message, /old is 1\.2\.0/);
  assert.equal(r.warnings[0]?.code, 'PLW_ERR_DEPENDENCY_OPTIONAL_ABSENT');
  assert.ok(r.levels.flat().includes('opt'), 'plugin with an absent optional dependency still starts');
  assert.ok(r.levels.flat().includes('pre'), 'prereleases satisfy ranges (includePrerelease)');
});

test('dependents of a blocked plugin are reported with the dependency that failed', () => {
  const g = new DependencyGraph([n('a'), n('b', ['a']), n('c', ['b'])]);
  const r = g.analyze(new Map([['a', undefined]]));
  assert.match(r.failed.get('b')!.message, /dependency a failed/);
  assert.match(r.failed.get('c')!.message, /dependency b failed/);
  assert.deepEqual(g.transitiveDependentsOf('a'), ['b', 'c']);
});
