// redis-diagnostics against redis-server processes this test starts on free ports: each
// condition is induced for real and the finding it should cause is checked.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DiagnosticResult } from 'plugway/sdk';
import { binarySkip, freePort } from '../helpers/services.js';
import { expectFinding, find } from './harness.js';
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
async function diagnose(url: string, opts: { categories?: string[]; windowMs?: number; config?: Record<string, unknown> } = {}): Promise<DiagnosticResult> {
  const p = createRedisDiagnostics(opts.config ?? {});
  await p.connect({ url }, none);
  try {
    return await p.diagnose({ windowMs: opts.windowMs ?? 400, samples: 3, categories: opts.categories }, none);
  } finally {
    await p.disconnect(none);
  }
}

test('maxmemory nearly full with noeviction: usage critical, noeviction critical, OOM errors', { skip }, async () => {
  const s = await server(['--maxmemory', '3mb', '--maxmemory-policy', 'noeviction']);
  const c = await s.client();
  const value = 'x'.repeat(10_000);
  await waitFor(
    'an OOM rejection',
    async () => {
      try {
        await c.set(`k${Math.random()}`, value);
        return false;
      } catch (err) {
        return /OOM/.test((err as Error).message);
      }
    },
    20_000,
    0,
  );
  const r = await diagnose(s.url, { categories: ['memory'] });
  const near = expectFinding(r, 'REDIS_MEMORY_NEAR_LIMIT', 'critical');
  assert.ok((near.evidence.ratio as number) >= 0.95);
  expectFinding(r, 'REDIS_NOEVICTION_NEAR_FULL', 'critical');
  expectFinding(r, 'REDIS_OOM_ERRORS');
  assert.equal(r.status, 'critical');
});

test('evictions during the window are reported from the counter delta', { skip }, async () => {
  const s = await server(['--maxmemory', '3mb', '--maxmemory-policy', 'allkeys-lru']);
  const c = await s.client();
  const value = 'y'.repeat(5_000);
  await waitFor(
    'first evictions',
    async () => {
      await c.pipeline(Array.from({ length: 50 }, (_, i) => ['set', `e${Date.now()}-${i}`, value])).exec();
      return Number(/evicted_keys:(\d+)/.exec(await c.info('stats'))?.[1]) > 0;
    },
    20_000,
    0,
  );
  let writing = true;
  const writer = (async () => {
    while (writing) await c.pipeline(Array.from({ length: 20 }, (_, i) => ['set', `w${Date.now()}-${i}`, value])).exec();
  })();
  try {
    const r = await diagnose(s.url, { categories: ['memory'], windowMs: 500 });
    const f = expectFinding(r, 'REDIS_EVICTIONS', 'warning');
    assert.ok((f.evidence.evicted_in_window as number) > 0);
  } finally {
    writing = false;
    await writer;
  }
  // A server left at its maxmemory can still evict a key when the diagnosis's own connection and replies
  // allocate memory, so the quiet window starts well under the limit. FLUSHALL empties the data set but
  // leaves the evicted_keys counter where it was: a diagnosis that read the total instead of the delta fails.
  await c.flushall();
  const quiet = await diagnose(s.url, { categories: ['memory'], windowMs: 300 });
  assert.equal(find(quiet, 'REDIS_EVICTIONS'), undefined, 'no evictions in a quiet window');
  expectFinding(quiet, 'REDIS_EVICTIONS_PAST', 'info');
});

test('master-replica: healthy link, small backlog under writes, then master killed → replica link down', { skip }, async () => {
  const master = await server(['--repl-backlog-size', '16kb']);
  const replica = await server(['--replicaof', '127.0.0.1', String(master.port)]);
  const rc = await replica.client();
  await waitFor('replica link up', async () => /master_link_status:up/.test(await rc.info('replication')), 15_000);
  const mc = await master.client();
  await waitFor('replica online at master', async () => /slave0:.*state=online/.test(await mc.info('replication')));
  let writing = true;
  const writer = (async () => {
    while (writing) await mc.pipeline(Array.from({ length: 20 }, (_, i) => ['set', `r${i}`, 'z'.repeat(2000)])).exec();
  })();
  let r: DiagnosticResult;
  try {
    r = await diagnose(master.url, { categories: ['replication'], windowMs: 500 });
  } finally {
    writing = false;
    await writer;
  }
  assert.equal(r.metrics.connected_replicas, 1);
  expectFinding(r, 'REDIS_BACKLOG_TOO_SMALL', 'warning');
  const healthy = await diagnose(replica.url, { categories: ['replication'] });
  assert.equal(find(healthy, 'REDIS_REPLICA_LINK_DOWN'), undefined);
  await master.kill();
  await waitFor('replica sees the link down', async () => /master_link_status:down/.test(await rc.info('replication')), 15_000);
  const down = await diagnose(replica.url, { categories: ['replication'] });
  const f = expectFinding(down, 'REDIS_REPLICA_LINK_DOWN', 'critical');
  assert.equal(f.evidence.master, `127.0.0.1:${master.port}`);
  assert.equal(down.status, 'critical');
});

test('DEBUG SLEEP 0.2 lands in the slowlog and as a latency spike; slowlog-reset clears it; destructive actions refused', { skip }, async () => {
  const s = await server(['--enable-debug-command', 'yes', '--latency-monitor-threshold', '100']);
  const c = await s.client();
  await c.call('DEBUG', 'SLEEP', '0.2');
  const r = await diagnose(s.url, { categories: ['latency'] });
  const f = expectFinding(r, 'REDIS_SLOWLOG_SLOW_COMMANDS', 'warning');
  assert.equal((f.evidence.slowest as Array<{ command: string }>)[0]!.command, 'debug');
  expectFinding(r, 'REDIS_LATENCY_SPIKES', 'warning');
  const p = createRedisDiagnostics({});
  await p.connect({ url: s.url }, none);
  try {
    await p.execute('slowlog-reset', {}, none);
    await p.execute('latency-reset', {}, none);
    await p.execute('memory-purge', {}, none);
    assert.equal(await c.call('SLOWLOG', 'LEN'), 0);
    const after = await p.diagnose({ windowMs: 200, categories: ['latency'] }, none);
    assert.equal(find(after, 'REDIS_SLOWLOG_SLOW_COMMANDS'), undefined);
    assert.equal(find(after, 'REDIS_LATENCY_SPIKES'), undefined);
    await assert.rejects(() => p.execute('client-kill', { id: 1 }, none), { code: 'PLW_ERR_ACTION_DESTRUCTIVE' });
    await assert.rejects(() => p.execute('config-set', { parameter: 'maxclients', value: 5 }, none), { code: 'PLW_ERR_ACTION_DESTRUCTIVE' });
    await assert.rejects(() => p.execute('flushall', {}, none), { code: 'PLW_ERR_ACTION_NOT_ALLOWED' });
  } finally {
    await p.disconnect(none);
  }
  const brave = createRedisDiagnostics({ allow_destructive: true });
  await brave.connect({ url: s.url }, none);
  try {
    await brave.execute('config-set', { parameter: 'slowlog-max-len', value: 64 }, none);
    assert.deepEqual(await c.config('GET', 'slowlog-max-len'), ['slowlog-max-len', '64']);
  } finally {
    await brave.disconnect(none);
  }
});

test('blocked clients (BLPOP), clients near maxclients, rejected connections', { skip }, async () => {
  const s = await server(['--maxclients', '20']);
  const blocker = await s.client();
  void blocker.blpop('never-pushed', 0).catch(() => {});
  const waiter = await s.client();
  await waitFor('a blocked client', async () => /blocked_clients:1/.test(await waiter.info('clients')));
  for (let i = 0; i < 14; i++) await s.client();
  const r = await diagnose(s.url, { categories: ['clients'] });
  expectFinding(r, 'REDIS_BLOCKED_CLIENTS', 'info');
  const near = expectFinding(r, 'REDIS_CLIENTS_NEAR_LIMIT', 'warning');
  assert.equal(near.evidence.maxclients, 20);
  // Beyond maxclients during the window: the server refuses and counts the rejections.
  const p = createRedisDiagnostics({});
  await p.connect({ url: s.url }, none);
  const flood = (async () => {
    await new Promise((res) => setTimeout(res, 100));
    const extra = await Promise.allSettled(Array.from({ length: 8 }, () => s.client().then((c) => c.ping())));
    return extra.filter((x) => x.status === 'rejected').length;
  })();
  try {
    const r2 = await p.diagnose({ windowMs: 800, samples: 3, categories: ['clients'] }, none);
    assert.ok((await flood) > 0, 'some connections were refused');
    expectFinding(r2, 'REDIS_CONNECTIONS_REJECTED', 'critical');
    expectFinding(r2, 'REDIS_CLIENTS_NEAR_LIMIT', 'critical');
  } finally {
    await p.disconnect(none);
  }
});

test('a data dir BGSAVE cannot write to → persistence error critical', { skip }, async () => {
  const s = await server();
  const c = await s.client();
  await c.set('a', '1');
  // root ignores permission bits, so the dump's target name is also taken by a non-empty directory.
  mkdirSync(join(s.dir, 'dump.rdb'));
  writeFileSync(join(s.dir, 'dump.rdb', 'keep'), '');
  chmodSync(s.dir, 0o555);
  await c.bgsave();
  await waitFor('bgsave to fail', async () => /rdb_last_bgsave_status:err/.test(await c.info('persistence')), 15_000);
  const r = await diagnose(s.url, { categories: ['persistence'] });
  expectFinding(r, 'REDIS_RDB_BGSAVE_FAILED', 'critical');
  assert.equal(r.status, 'critical');
});

test('default user without password: info on a loopback-only server, warning when loopback is not trusted; a password is used', { skip }, async () => {
  const open = await server();
  const r1 = await diagnose(open.url, { categories: ['security'] });
  expectFinding(r1, 'REDIS_DEFAULT_USER_NOPASS', 'info');
  const r2 = await diagnose(open.url, { categories: ['security'], config: { loopback_is_trusted: false } });
  expectFinding(r2, 'REDIS_DEFAULT_USER_NOPASS', 'warning');
  const locked = await server(['--requirepass', 's3cret']);
  const r3 = await diagnose(`redis://:s3cret@127.0.0.1:${locked.port}`, { categories: ['security'] });
  assert.equal(find(r3, 'REDIS_DEFAULT_USER_NOPASS'), undefined);
  const p = createRedisDiagnostics({});
  await assert.rejects(() => Promise.resolve(p.connect({ url: `redis://:wrong@127.0.0.1:${locked.port}` }, none)), { code: 'PLW_ERR_DIAG_CONNECT' });
});

test('a user denied CONFIG GET and SCAN: persistence and big keys say why they were not checked; key-count and scripts findings stay', { skip }, async () => {
  const s = await server();
  const c = await s.client();
  await c.set('k1', 'v');
  await c.set('k2', 'v');
  await c.script('LOAD', 'return 1');
  await c.call('ACL', 'SETUSER', 'diag', 'on', '>diag-pw', '~*', '&*', '+@all', '-config|get', '-scan');
  const r = await diagnose(`redis://diag:diag-pw@127.0.0.1:${s.port}`, { categories: ['keyspace', 'persistence'], config: { many_keys: 1, cached_scripts_max: 0 } });
  expectFinding(r, 'REDIS_MANY_KEYS', 'info');
  expectFinding(r, 'REDIS_MANY_CACHED_SCRIPTS', 'warning');
  const unavailable = r.findings.filter((f) => f.code === 'REDIS_CHECK_UNAVAILABLE');
  const scan = unavailable.find((f) => f.category === 'keyspace');
  assert.ok(scan, JSON.stringify(r.findings));
  assert.match(String(scan.evidence.reason), /NOPERM|permission/i);
  const persistence = unavailable.find((f) => f.category === 'persistence');
  assert.ok(persistence, JSON.stringify(r.findings));
  assert.match(persistence.message, /CONFIG GET save/);
  assert.equal(find(r, 'REDIS_PERSISTENCE_DISABLED'), undefined);
  // The same server seen by the default user (CONFIG allowed): persistence is judged, no SCAN complaint.
  const full = await diagnose(s.url, { categories: ['keyspace', 'persistence'] });
  assert.equal(full.findings.filter((f) => f.code === 'REDIS_CHECK_UNAVAILABLE').length, 0, JSON.stringify(full.findings));
});

test('a refused connection names the cause (ECONNREFUSED), not "Connection is closed."', { skip }, async () => {
  const port = await freePort(); // nothing listens there
  const p = createRedisDiagnostics({});
  await assert.rejects(
    () => Promise.resolve(p.connect({ url: `redis://127.0.0.1:${port}` }, none)),
    (err: Error & { code?: string }) => {
      assert.equal(err.code, 'PLW_ERR_DIAG_CONNECT');
      assert.match(err.message, /ECONNREFUSED/);
      assert.doesNotMatch(err.message, /Connection is closed/);
      return true;
    },
  );
});

test('big keys by bounded SCAN, low hit rate, KEYS in use during the window', { skip }, async () => {
  const s = await server();
  const c = await s.client();
  await c.hset('big:hash', Object.fromEntries(Array.from({ length: 6000 }, (_, i) => [`f${i}`, 'v'])));
  await c.rpush('big:list', ...Array.from({ length: 1500 }, (_, i) => String(i)));
  await c.set('small', 'v');
  const p = createRedisDiagnostics({});
  await p.connect({ url: s.url }, none);
  // The misses and the KEYS call happen during the window: only the window's hit rate warns.
  const keysCall = new Promise((res) => setTimeout(res, 100)).then(async () => {
    await c.pipeline(Array.from({ length: 11_000 }, (_, i) => ['get', `missing:${i}`])).exec();
    return c.keys('*');
  });
  try {
    const r = await p.diagnose({ windowMs: 500, samples: 3, categories: ['keyspace', 'stats'] }, none);
    await keysCall;
    const big = expectFinding(r, 'REDIS_BIG_KEYS', 'warning');
    const names = (big.evidence.big_keys as Array<{ key: string; type: string }>).map((k) => `${k.type}:${k.key}`).sort();
    assert.deepEqual(names, ['hash:big:hash', 'list:big:list']);
    expectFinding(r, 'REDIS_HIT_RATE_LOW', 'warning');
    expectFinding(r, 'REDIS_DANGEROUS_COMMAND', 'warning');
  } finally {
    await p.disconnect(none);
  }
});

test('cluster: missing slots critical, then full slots with a master without replica', { skip }, async () => {
  const s = await server(['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-announce-ip', '127.0.0.1']);
  const c = await s.client();
  await c.call('CLUSTER', 'ADDSLOTSRANGE', '0', '8000');
  const r = await diagnose(s.url, { categories: ['topology'] });
  expectFinding(r, 'REDIS_CLUSTER_SLOTS_UNASSIGNED', 'critical');
  expectFinding(r, 'REDIS_CLUSTER_STATE_FAIL', 'critical');
  await c.call('CLUSTER', 'ADDSLOTSRANGE', '8001', '16383');
  await waitFor('cluster state ok', async () => /cluster_state:ok/.test(String(await c.call('CLUSTER', 'INFO'))));
  const ok = await diagnose(`redis+cluster://127.0.0.1:${s.port}`, { categories: ['topology', 'memory'] });
  assert.equal(ok.server?.mode, 'cluster');
  assert.equal(find(ok, 'REDIS_CLUSTER_STATE_FAIL'), undefined);
  expectFinding(ok, 'REDIS_CLUSTER_MASTER_WITHOUT_REPLICA', 'warning');
});

test('sentinel: connects to the master through the sentinel; one sentinel is too few; a dead master is odown', { skip }, async () => {
  const master = await server();
  const conf = join(master.dir, 'sentinel.conf');
  writeFileSync(conf, `sentinel monitor mymaster 127.0.0.1 ${master.port} 1\nsentinel down-after-milliseconds mymaster 500\nsentinel failover-timeout mymaster 60000\n`);
  const sentinel = await startRedis([], { sentinel: true, conf });
  servers.push(sentinel);
  const url = `redis+sentinel://127.0.0.1:${sentinel.port}/mymaster`;
  const r = await diagnose(url, { categories: ['topology', 'server'] });
  assert.equal(r.server?.mode, 'sentinel');
  assert.equal(r.server?.address, `127.0.0.1:${master.port}`);
  expectFinding(r, 'REDIS_SENTINEL_TOO_FEW', 'warning');
  const direct = await diagnose(`127.0.0.1:${sentinel.port}`);
  expectFinding(direct, 'REDIS_SENTINEL_TOO_FEW', 'warning');
  expectFinding(direct, 'REDIS_TARGET_IS_SENTINEL', 'info');
  await master.kill();
  const sc = await sentinel.client();
  await waitFor('sentinel flags the master down', async () => /o_down/.test(JSON.stringify(await sc.call('SENTINEL', 'MASTER', 'mymaster'))), 15_000);
  const down = await diagnose(`127.0.0.1:${sentinel.port}`, { categories: ['topology'] });
  expectFinding(down, 'REDIS_SENTINEL_ODOWN', 'critical');
});
