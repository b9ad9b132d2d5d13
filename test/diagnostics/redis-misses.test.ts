// redis-diagnostics on what redis-cli --bigkeys and operators catch and it used to miss or misjudge,
// on redis-server processes this test starts: a big key among 500,001 keys, old slowlog entries,
// a replica's normal first sync.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import type { DiagnosticResult } from 'plugway/sdk';
import { binarySkip } from '../helpers/services.js';
import { assertHealthy, expectFinding, find, plugwayDiagnose } from './harness.js';
import { startRedis, waitFor, type TestRedis } from './redis-servers.js';
import createRedisDiagnostics from '../../plugins/redis-diagnostics/src/index.js';

const skip = binarySkip('redis-server', 'redis-server');
const servers: TestRedis[] = [];
after(async () => {
  await Promise.all(servers.map((s) => s.stop()));
});
async function server(args: string[] = []): Promise<TestRedis> {
  const s = await startRedis(args);
  servers.push(s);
  return s;
}
const none = undefined as never;
async function diagnose(url: string, categories: string[], config: Record<string, unknown> = {}, windowMs = 200): Promise<DiagnosticResult> {
  const p = createRedisDiagnostics(config);
  await p.connect({ url }, none);
  try {
    return await p.diagnose({ windowMs, samples: 2, categories }, none);
  } finally {
    await p.disconnect(none);
  }
}

test('a fresh redis-server is healthy: exit 0 from plugway diagnose redis', { skip }, async () => {
  const s = await server();
  assertHealthy(await diagnose(s.url, []));
  const cli = await plugwayDiagnose(['redis', s.url, '--json', '--window', '300ms']);
  assert.equal(cli.code, 0, cli.stdout + cli.stderr);
});

test('a big list among 500,001 keys is found by a scan of the whole keyspace; a scan cut short by its budget says how much it saw and starts elsewhere next time', { skip }, async () => {
  const s = await server(['--enable-debug-command', 'yes']);
  const c = await s.client();
  await c.call('DEBUG', 'POPULATE', '500000', 'key');
  for (let i = 0; i < 10; i++) await c.rpush('the:big:list', ...Array.from({ length: 5000 }, (_, j) => String(i * 5000 + j)));
  assert.equal(await c.dbsize(), 500_001);
  const started = Date.now();
  const r = await diagnose(s.url, ['keyspace'], { scan_budget_ms: 60_000 });
  const tookMs = Date.now() - started;
  const big = expectFinding(r, 'REDIS_BIG_KEYS', 'warning');
  assert.deepEqual(
    (big.evidence.big_keys as Array<{ key: string; size: number }>).map((k) => [k.key, k.size]),
    [['the:big:list', 50_000]],
  );
  assert.equal(big.evidence.complete, true, `${tookMs} ms`);
  assert.ok(r.metrics.keys_scanned! >= 500_001, JSON.stringify(r.metrics));
  assert.equal(find(r, 'REDIS_KEYSPACE_SCAN_PARTIAL'), undefined);
  // A budget far too small for the keyspace: the finding says so, with the share, and two runs start apart.
  const partial = await Promise.all([1, 2].map(() => diagnose(s.url, ['keyspace'], { scan_budget_ms: 30 })));
  const cursors = partial.map((p) => {
    const f = expectFinding(p, 'REDIS_KEYSPACE_SCAN_PARTIAL', 'info');
    assert.equal(f.evidence.total_keys, 500_001);
    assert.ok((f.evidence.share as number) > 0 && (f.evidence.share as number) < 1, JSON.stringify(f.evidence));
    return (f.evidence.start_cursors as Record<string, string>).db0;
  });
  assert.notEqual(cursors[0], cursors[1], 'each run starts at a random cursor');
});

test('an old slowlog entry is history (info, status healthy); a recent one is a warning', { skip }, async () => {
  const s = await server(['--enable-debug-command', 'yes']);
  const c = await s.client();
  await c.call('DEBUG', 'SLEEP', '0.2');
  const recent = await diagnose(s.url, ['latency'], { slowlog_recent_seconds: 1 });
  expectFinding(recent, 'REDIS_SLOWLOG_SLOW_COMMANDS', 'warning');
  const [entry] = (await c.call('SLOWLOG', 'GET', '1')) as Array<[number, number]>;
  // The entry's age is read from the server's clock: wait until it is older than the 1 s limit.
  await waitFor('the slowlog entry to age past 1 s', async () => Number(((await c.call('TIME')) as string[])[0]) > entry![1] + 1, 5000, 100);
  const old = await diagnose(s.url, ['latency'], { slowlog_recent_seconds: 1 });
  assert.equal(find(old, 'REDIS_SLOWLOG_SLOW_COMMANDS'), undefined, JSON.stringify(old.findings));
  expectFinding(old, 'REDIS_SLOWLOG_SLOW_COMMANDS_PAST', 'info');
  assert.equal(old.status, 'healthy');
});

test('a replica in its first full sync (link down, master_link_down_since_seconds -1) is info with its progress, not a critical link down', { skip }, async () => {
  // Each key written to the RDB waits 200 µs: 20,000 keys keep the transfer going for ~4 s.
  const master = await server(['--enable-debug-command', 'yes', '--repl-diskless-sync', 'no', '--rdb-key-save-delay', '200']);
  const mc = await master.client();
  await mc.call('DEBUG', 'POPULATE', '20000', 'sync');
  const replica = await server(['--replicaof', '127.0.0.1', String(master.port)]);
  const rc = await replica.client();
  await waitFor('the replica to be in its full sync', async () => /master_sync_in_progress:1/.test(await rc.info('replication')), 10_000, 20);
  const info = await rc.info('replication');
  assert.match(info, /master_link_status:down/);
  assert.match(info, /master_link_down_since_seconds:-1/);
  const r = await diagnose(replica.url, ['replication']);
  assert.equal(find(r, 'REDIS_REPLICA_LINK_DOWN'), undefined, JSON.stringify(r.findings));
  const f = expectFinding(r, 'REDIS_REPLICA_SYNCING', 'info');
  assert.equal(f.evidence.master, `127.0.0.1:${master.port}`);
  assert.equal(typeof f.evidence.master_sync_read_bytes, 'number');
  assert.equal(r.status, 'healthy');
});

test('misses and OOM rejections before the window are history: info, not a warning', { skip }, async () => {
  const s = await server(['--maxmemory', '3mb', '--maxmemory-policy', 'noeviction']);
  const c = await s.client();
  await c.pipeline(Array.from({ length: 11_000 }, (_, i) => ['get', `missing:${i}`])).exec();
  await waitFor(
    'an OOM rejection',
    async () => {
      try {
        await c.set(`k${Math.random()}`, 'x'.repeat(10_000));
        return false;
      } catch (err) {
        return /OOM/.test((err as Error).message);
      }
    },
    20_000,
    0,
  );
  const r = await diagnose(s.url, ['stats', 'memory']);
  expectFinding(r, 'REDIS_HIT_RATE_LOW', 'info');
  const oom = expectFinding(r, 'REDIS_OOM_ERRORS', 'info');
  assert.match(oom.message, /since start/);
});
