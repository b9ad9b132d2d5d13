// The KubeStack seed's diagnostic categories work with every diagnostics plugin: mapped to the
// plugin's own, or said not to apply (never "unknown category"); through --category and the HTTP body.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mapCategories, SEED_CATEGORIES, parseDiagnoseBody } from '../../src/sdk/index.js';
import { CATEGORIES as REDIS } from '../../plugins/redis-diagnostics/src/index.js';
import { CATEGORIES as KAFKA } from '../../plugins/kafka-diagnostics/src/index.js';
import { CATEGORIES as MYSQL } from '../../plugins/mysql-diagnostics/src/index.js';
import { CATEGORIES as POSTGRES } from '../../plugins/postgres-diagnostics/src/index.js';
import { CATEGORIES as RABBITMQ } from '../../plugins/rabbitmq-diagnostics/src/index.js';
import { runCli } from '../helpers/cli.js';
import { serviceSkip } from '../helpers/services.js';

test('mapCategories: own names kept, seed names mapped, the rest not applicable', () => {
  const own = ['clients', 'memory', 'latency', 'stats'];
  const aliases = { connection: ['clients'], performance: ['latency', 'stats'], memory: ['memory'] };
  assert.deepEqual(mapCategories(['connection', 'memory', 'performance', 'latency', 'broker'], own, aliases), { categories: ['clients', 'memory', 'latency', 'stats'], notApplicable: ['broker'] });
  assert.deepEqual(mapCategories(['nonsense'], own, aliases), { categories: ['nonsense'], notApplicable: [] }, 'unknown names are left to the plugin to report');
});

test('every built-in diagnostics plugin maps the seed names onto categories it has', async () => {
  const plugins = [
    ['redis-diagnostics', REDIS],
    ['kafka-diagnostics', KAFKA],
    ['mysql-diagnostics', MYSQL],
    ['postgres-diagnostics', POSTGRES],
    ['rabbitmq-diagnostics', RABBITMQ],
  ] as const;
  for (const [id, own] of plugins) {
    // The HTTP body accepts each seed name for each plugin.
    const { options } = parseDiagnoseBody({ target: 'x://h', categories: [...SEED_CATEGORIES] }, { categories: own, example: 'x://h' });
    assert.deepEqual(options.categories, [...SEED_CATEGORIES], id);
    assert.throws(() => parseDiagnoseBody({ target: 'x://h', categories: ['nonsense'] }, { categories: own, example: 'x://h' }), /unknown categories nonsense/);
  }
  // Mapped names are the plugin's own (a typo in a mapping would silently check nothing).
  const source = async (sys: string) => (await import('node:fs/promises')).readFile(new URL(`../../plugins/${sys}-diagnostics/src/index.ts`, import.meta.url), 'utf8');
  for (const [sys, own] of [
    ['redis', REDIS],
    ['kafka', KAFKA],
    ['mysql', MYSQL],
    ['postgres', POSTGRES],
    ['rabbitmq', RABBITMQ],
  ] as const) {
    const m = /categoryAliases: (\{[^}]*\}),\n/.exec(await source(sys)); // one line or several (no nested braces)
    assert.ok(m, sys);
    const aliases = Function(`return (${m[1]})`)() as Record<string, string[]>;
    for (const [seed, to] of Object.entries(aliases)) {
      assert.ok((SEED_CATEGORIES as readonly string[]).includes(seed), `${sys}: ${seed}`);
      for (const c of to) assert.ok((own as readonly string[]).includes(c), `${sys}: ${seed} → ${c} is not one of ${own.join(', ')}`);
    }
  }
});

test('--category with the seed names against a real Redis and MariaDB', async (t) => {
  const redisSkip = await serviceSkip('redis');
  const mysqlSkip = await serviceSkip('mariadb');
  await t.test('redis: connection, memory → clients, memory; broker does not apply', { skip: redisSkip }, async () => {
    const r = await runCli(['diagnose', 'redis', 'redis://127.0.0.1:6379', '--category', 'connection,memory', '--category', 'broker', '--json']);
    assert.ok(r.code === 0 || r.code === 1 || r.code === 2, r.stderr + r.stdout);
    const result = JSON.parse(r.stdout);
    assert.ok(!result.findings.some((f: { code: string }) => f.code === 'REDIS_UNKNOWN_CATEGORY'), 'no "unknown category"');
    const na = result.findings.find((f: { code: string }) => f.code === 'CATEGORY_NOT_APPLICABLE');
    assert.deepEqual(na.evidence.not_applicable, ['broker']);
    for (const f of result.findings) assert.ok(['clients', 'memory', 'server'].includes(f.category), f.category);
  });
  await t.test('redis: only non-applicable names: nothing runs, status unknown', { skip: redisSkip }, async () => {
    const r = await runCli(['diagnose', 'redis', 'redis://127.0.0.1:6379', '--category', 'topic', '--json']);
    assert.equal(r.code, 3);
    assert.equal(JSON.parse(r.stdout).status, 'unknown');
  });
  await t.test('mysql: innodb and persistence', { skip: mysqlSkip }, async () => {
    const r = await runCli(['diagnose', 'mysql', 'mysql://root@127.0.0.1:3306/test', '--category', 'innodb,persistence', '--json']);
    assert.ok(r.code !== null && r.code <= 2, r.stderr + r.stdout);
    const result = JSON.parse(r.stdout);
    assert.ok(!result.findings.some((f: { code: string }) => /UNKNOWN_CATEGORY/.test(f.code)));
    for (const f of result.findings) assert.ok(['innodb', 'binlog', 'transactions', 'server'].includes(f.category), f.category);
  });
});
