// kafka-diagnostics against librdkafka's mock cluster (real Kafka protocol, built from
// test/fixtures/kafka-mock/mock-cluster.c): metadata, offline partitions, leader balance, a
// down broker, consumer lag, a stopped group (Burrow STOP), lag in time, the endpoint.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import kafkajs, { type Kafka as KafkaClient, type Producer } from 'kafkajs';
// kafkajs is CommonJS: Node cannot see all of its named exports, so read them from the default export.
const { Kafka, logLevel } = kafkajs;
import { missingForKind, type DiagnosticResult } from 'plugway/sdk';
import { freePort } from '../helpers/services.js';
import { assertManifestMatches, expectFinding, find } from './harness.js';
import { mockSkip, startMockCluster, type MockCluster } from './kafka-mock.js';
import createKafkaDiagnostics, { DEFAULTS, ACTIONS } from '../../plugins/kafka-diagnostics/src/index.js';

const skip = mockSkip();
const root = fileURLToPath(new URL('../../', import.meta.url));
const none = undefined as never;
let mock: MockCluster | undefined;
let producer: Producer | undefined;
let kafka: KafkaClient;

before(async () => {
  if (skip) return;
  mock = await startMockCluster(3);
  await mock.command('topic orders 3 3');
  await mock.command('topic quiet 2 3');
  await mock.command('topic single 1 1');
  kafka = new Kafka({ brokers: mock.bootstrap.split(','), clientId: 'plw-test', logLevel: logLevel.NOTHING });
  const p = kafka.producer();
  producer = p;
  await p.connect();
  // A group that consumed everything then stopped (orders keeps growing), and one that is caught up on a quiet topic.
  await p.send({ topic: 'orders', messages: Array.from({ length: 30 }, (_, i) => ({ key: String(i), value: `o${i}` })) });
  await p.send({ topic: 'quiet', messages: Array.from({ length: 10 }, (_, i) => ({ key: String(i), value: `q${i}` })) });
  await consumeAll('stopped-group', 'orders', 30);
  await consumeAll('caught-up-group', 'quiet', 10);
  await p.send({ topic: 'orders', messages: Array.from({ length: 20 }, (_, i) => ({ key: String(i), value: `late${i}` })) });
});
after(async () => {
  await producer?.disconnect();
  await mock?.stop();
});

async function consumeAll(groupId: string, topic: string, n: number): Promise<void> {
  const consumer = kafka.consumer({ groupId, sessionTimeout: 6000, heartbeatInterval: 500 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let seen = 0;
  await new Promise<void>((resolve) => {
    void consumer.run({
      autoCommitInterval: 50,
      eachMessage: async () => {
        if (++seen >= n) resolve();
      },
    });
  });
  await consumer.disconnect(); // commits the consumed offsets
}

/** Produces a few messages every 100 ms on `topic` until stopped: the latest offsets move during the window. */
function keepProducing(topic: string): () => Promise<void> {
  let on = true;
  const loop = (async () => {
    while (on) {
      await producer!.send({
        topic,
        messages: [
          { key: 'k', value: 'v' },
          { key: 'j', value: 'w' },
        ],
      });
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  return async () => {
    on = false;
    await loop;
  };
}

async function diagnose(opts: { categories?: string[]; windowMs?: number; config?: Record<string, unknown>; groups?: string[] } = {}): Promise<DiagnosticResult> {
  const p = createKafkaDiagnostics(opts.config ?? {});
  await p.connect({ url: `kafka://${mock!.bootstrap}`, options: { groups: opts.groups ?? ['stopped-group', 'caught-up-group'] } }, none);
  try {
    return await p.diagnose({ windowMs: opts.windowMs ?? 800, samples: 4, categories: opts.categories }, none);
  } finally {
    await p.disconnect(none);
  }
}

test('manifest declares the contract and every threshold default', () => {
  const m = assertManifestMatches('kafka-diagnostics', { actions: ACTIONS, defaults: DEFAULTS });
  assert.deepEqual(m.runtime, { type: 'inprocess', entry: 'src/index.ts' });
  assert.deepEqual(missingForKind('diagnostics', createKafkaDiagnostics({})), []);
});

test('metadata: brokers reachable, controller, few partitions, topic configs unreadable on the mock (info)', { skip }, async () => {
  const r = await diagnose({ categories: ['brokers', 'partitions', 'replication', 'config', 'security'] });
  assert.equal(r.plugin_id, 'kafka-diagnostics');
  assert.equal(r.metrics.brokers, 3);
  assert.equal(find(r, 'KAFKA_BROKER_UNREACHABLE'), undefined);
  assert.equal(find(r, 'KAFKA_NO_CONTROLLER'), undefined);
  assert.equal(find(r, 'KAFKA_OFFLINE_PARTITIONS'), undefined);
  expectFinding(r, 'KAFKA_FEW_PARTITIONS', 'info');
  expectFinding(r, 'KAFKA_TOPIC_CONFIG_UNAVAILABLE', 'info');
  expectFinding(r, 'KAFKA_NO_AUTH', 'info');
  for (const f of r.findings) assert.match(f.code, /^KAFKA_[A-Z_]+$/);
});

test('an unknown category is an info finding, not a silent "No findings"', { skip }, async () => {
  const r = await diagnose({ categories: ['brokers', 'lag'] });
  const unknown = expectFinding(r, 'KAFKA_UNKNOWN_CATEGORY', 'info');
  assert.deepEqual(unknown.evidence.unknown, ['lag']);
  assert.ok(r.findings.every((f) => f.category === 'brokers' || f.code === 'KAFKA_UNKNOWN_CATEGORY'));
  assert.equal(find(await diagnose({ categories: ['brokers'] }), 'KAFKA_UNKNOWN_CATEGORY'), undefined);
});

test('a one-broker cluster: replication factor 1 is a warning', { skip }, async () => {
  // The mock gives every partition a replica on every broker (it ignores the requested factor), so RF 1 needs one broker.
  const one = await startMockCluster(1);
  try {
    await one.command('topic solo 2 1');
    const p = createKafkaDiagnostics({});
    await p.connect({ url: one.bootstrap }, none);
    try {
      const r = await p.diagnose({ windowMs: 100, categories: ['replication'] }, none);
      assert.deepEqual(expectFinding(r, 'KAFKA_REPLICATION_FACTOR_ONE', 'warning').evidence.topics, ['solo']);
    } finally {
      await p.disconnect(none);
    }
  } finally {
    await one.stop();
  }
});

test('an offline partition is critical; leaders off their preferred replica and leader skew are warnings', { skip }, async () => {
  for (let p = 0; p < 3; p++) await mock!.command(`leader orders ${p} 1`);
  await mock!.command('leader quiet 0 1');
  await mock!.command('leader quiet 1 1');
  await mock!.command('leader single 0 1');
  const balancedPreferred = await diagnose({ categories: ['partitions'] });
  assert.equal(find(balancedPreferred, 'KAFKA_PREFERRED_LEADER_IMBALANCE'), undefined, 'every leader is its preferred replica');
  expectFinding(balancedPreferred, 'KAFKA_LEADER_SKEW', 'warning');
  await mock!.command('leader orders 1 2');
  await mock!.command('leader quiet 1 3');
  await mock!.command('leader orders 2 -1');
  const r = await diagnose({ categories: ['partitions'] });
  const off = expectFinding(r, 'KAFKA_OFFLINE_PARTITIONS', 'critical');
  assert.deepEqual(off.evidence.offline, ['orders-2']);
  expectFinding(r, 'KAFKA_PREFERRED_LEADER_IMBALANCE', 'warning');
  assert.equal(r.status, 'critical');
  await mock!.command('leader orders 2 1');
});

test('a broker that is down is reported unreachable', { skip }, async () => {
  await mock!.command('down 3');
  try {
    const r = await diagnose({ categories: ['brokers'] });
    const f = expectFinding(r, 'KAFKA_BROKER_UNREACHABLE', 'warning');
    assert.deepEqual(
      (f.evidence.unreachable as Array<{ id: number }>).map((b) => b.id),
      [3],
    );
  } finally {
    await mock!.command('up 3');
  }
});

test('consumer lag per partition; a stopped group is Burrow STOP (critical); a caught-up group is OK; lag in time', { skip }, async () => {
  const stop = keepProducing('orders');
  let r: DiagnosticResult;
  try {
    r = await diagnose({ categories: ['consumers'], windowMs: 1200, config: { lag_time_warn_seconds: 1 } });
  } finally {
    await stop();
  }
  expectFinding(r, 'KAFKA_GROUP_LIST_UNAVAILABLE', 'info');
  const lag = r.findings.find((f) => f.code === 'KAFKA_CONSUMER_LAG' && f.evidence.group === 'stopped-group')!;
  assert.ok(lag, 'lag finding for stopped-group');
  assert.ok((lag.evidence.lag_sum as number) >= 20, `lag sum ${lag.evidence.lag_sum}`);
  assert.equal(lag.evidence.samples, 4);
  const rows = lag.evidence.partitions as Array<{ lag: number; latest: number; committed: number; lag_seconds: number | null }>;
  assert.equal(rows.length, 3);
  for (const row of rows) assert.equal(row.lag, Math.max(0, row.latest - row.committed));
  assert.equal(r.metrics['group.stopped-group.lag_sum'], lag.evidence.lag_sum);
  const stopped = expectFinding(r, 'KAFKA_GROUP_STOPPED', 'critical');
  assert.equal(stopped.evidence.group, 'stopped-group');
  const lt = expectFinding(r, 'KAFKA_LAG_TIME_HIGH', 'warning');
  assert.equal(lt.evidence.group, 'stopped-group');
  assert.ok((lt.evidence.lag_seconds_max as number) > 1);
  const ok = r.findings.find((f) => f.code === 'KAFKA_CONSUMER_LAG' && f.evidence.group === 'caught-up-group')!;
  assert.equal(ok.evidence.status, 'OK');
  assert.equal(ok.evidence.lag_sum, 0);
  assert.ok(!r.findings.some((f) => f.severity !== 'info' && f.evidence.group === 'caught-up-group'));
  assert.equal(r.status, 'critical');
  const healthy = await diagnose({ categories: ['consumers'], groups: ['caught-up-group'] });
  assert.equal(healthy.status, 'healthy', JSON.stringify(healthy.findings));
});

test('plugway diagnose kafka names groups from the CLI: ?groups= in the URL and --set groups=a,b', { skip }, async () => {
  const cli = (args: string[]) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, ['bin/plugway.js', 'diagnose', 'kafka', ...args, '--category', 'consumers', '--window', '300ms', '--json'], {
        cwd: root,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.once('error', reject);
      child.once('close', (code) => resolve({ code, stdout, stderr }));
    });
  const groupsOf = (stdout: string) => new Set((JSON.parse(stdout) as DiagnosticResult).findings.filter((f) => f.code === 'KAFKA_CONSUMER_LAG').map((f) => f.evidence.group));
  // The mock cannot list groups: without names nothing is checked; with them the stopped group is STOP (exit 2).
  const byUrl = await cli([`kafka://${mock!.bootstrap}?groups=stopped-group`]);
  assert.equal(byUrl.code, 2, byUrl.stderr + byUrl.stdout);
  assert.deepEqual(groupsOf(byUrl.stdout), new Set(['stopped-group']));
  const bySet = await cli([mock!.bootstrap, '--set', 'groups=stopped-group,caught-up-group']);
  assert.equal(bySet.code, 2, bySet.stderr + bySet.stdout);
  assert.deepEqual(groupsOf(bySet.stdout), new Set(['stopped-group', 'caught-up-group']));
  const healthy = await cli([`kafka://${mock!.bootstrap}/?groups=caught-up-group`]);
  assert.equal(healthy.code, 0, healthy.stderr + healthy.stdout);
  assert.deepEqual(groupsOf(healthy.stdout), new Set(['caught-up-group']));
});

test('actions: lag-snapshot reads; reset-offsets refused unless allow_destructive; unknown refused', { skip }, async () => {
  const p = createKafkaDiagnostics({});
  await p.connect({ url: mock!.bootstrap }, none);
  try {
    const snap = (await p.execute('lag-snapshot', { groupId: 'stopped-group', topics: ['orders'] }, none)) as { lag_sum: number };
    assert.ok(snap.lag_sum >= 20);
    await assert.rejects(() => p.execute('reset-offsets', { groupId: 'stopped-group', topic: 'orders' }, none), { code: 'PLW_ERR_ACTION_DESTRUCTIVE' });
    await assert.rejects(() => p.execute('delete-topic', {}, none), { code: 'PLW_ERR_ACTION_NOT_ALLOWED' });
  } finally {
    await p.disconnect(none);
  }
});

test('POST /diagnostics/kafka: result, 400 on a bad body, 502 when unreachable, SASL failure named', { skip }, async () => {
  const p = createKafkaDiagnostics({});
  const req = (body: unknown) => ({ id: 'k1', method: 'POST', path: '/diagnostics/kafka', params: {}, query: {}, headers: {}, body, context: {} });
  const ok = await p.handleRequest(req({ target: { url: mock!.bootstrap, options: { groups: ['caught-up-group'] } }, categories: ['brokers', 'consumers'], window: '300ms' }));
  assert.equal(ok.statusCode, 200);
  assert.equal((ok.body as DiagnosticResult).plugin_id, 'kafka-diagnostics');
  for (const bad of [undefined, {}, { target: 1 }, { target: 'x:1', categories: ['nope'] }, { target: 'http://x' }]) {
    assert.equal((await p.handleRequest(req(bad))).statusCode, 400, JSON.stringify(bad));
  }
  const port = await freePort();
  const down = await p.handleRequest(req({ target: `127.0.0.1:${port}` }));
  assert.equal(down.statusCode, 502);
  assert.match(JSON.stringify(down.body), /PLW_ERR_DIAG_CONNECT/);
  await assert.rejects(
    () => Promise.resolve(p.connect({ url: mock!.bootstrap, options: { sasl: { mechanism: 'scram-sha-256', username: 'u', password: 'p' } } }, none)),
    (err: { code?: string; message: string }) => err.code === 'PLW_ERR_DIAG_CONNECT' && /SASL/i.test(err.message),
  );
});
