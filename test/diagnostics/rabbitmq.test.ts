// rabbitmq-diagnostics against the shared RabbitMQ (management API on 15672), each test on a vhost
// it creates and removes: a fresh vhost is healthy; a backlog with no consumer, unacked messages
// from a consumer that never acks, low consumer utilisation and connection churn are induced for real.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { DiagnosticResult } from 'plugway/sdk';
import amqp from 'amqplib';
import { missingForKind } from 'plugway/sdk';
import createRabbitDiagnostics, { ACTIONS, CATEGORIES, DEFAULTS } from '../../plugins/rabbitmq-diagnostics/src/index.js';
import { freePort, serviceSkip } from '../helpers/services.js';
import { assertHealthy, assertManifestMatches, codes, expectFinding, find, plugwayDiagnose } from './harness.js';
import { createVhost, eventually, type TestVhost } from './rabbitmq-vhost.js';

const skip = (await serviceSkip('rabbitmq')) || (await serviceSkip('rabbitmq_management'));
const none = undefined as never;

async function diagnose(url: string, categories?: string[], config: Record<string, unknown> = {}, windowMs = 500): Promise<DiagnosticResult> {
  const p = createRabbitDiagnostics(config);
  await p.connect({ url }, none);
  try {
    return await p.diagnose({ windowMs, samples: 2, categories }, none);
  } finally {
    await p.disconnect(none);
  }
}

const plugway = (args: string[]) => plugwayDiagnose(args);

interface ApiQueue {
  messages_ready?: number;
  messages_unacknowledged?: number;
  consumer_utilisation?: number | null;
  messages_ready_details?: { rate: number };
}

test('manifest declares the contract: kind, endpoint behind auth, actions and every threshold default', () => {
  const m = assertManifestMatches('rabbitmq-diagnostics', { actions: ACTIONS, defaults: DEFAULTS });
  assert.deepEqual(m.runtime, { type: 'inprocess', entry: 'src/index.ts' });
  assert.deepEqual(missingForKind('diagnostics', createRabbitDiagnostics({})), []);
  assert.deepEqual([...CATEGORIES].sort(), ['alarms', 'churn', 'cluster', 'connectivity', 'queues', 'resources']);
});

describe('the shared RabbitMQ, on a vhost of its own', { skip }, () => {
  let vh: TestVhost;
  before(async () => {
    vh = await createVhost();
  });
  after(async () => {
    await vh?.remove();
  });

  test('a fresh vhost is healthy: exit 0 from plugway diagnose rabbitmq', async () => {
    // The broker's churn rates are node-wide and smoothed over seconds: let the connections this
    // suite's set-up just opened (vhost, permissions, AMQP checks) fade before judging "fresh".
    await eventually('the set-up connections to fade from the churn rate', async () => {
      const o = await vh.api<{ churn_rates: { connection_created_details?: { rate: number } } }>('GET', '/api/overview');
      return (o.churn_rates.connection_created_details?.rate ?? 0) < 1;
    });
    // A window long enough that a few connections of the set-up that the broker's statistics report
    // late (it collects them every few seconds) stay far below the churn threshold of 10 a second.
    const r = await diagnose(vh.url, undefined, {}, 1500);
    assertHealthy(r);
    assert.equal(r.plugin_id, 'rabbitmq-diagnostics');
    assert.equal(r.target, `amqp://guest@127.0.0.1:5672/${vh.name}`);
    assert.equal(r.metrics.amqp_port_ok, 1);
    assert.equal(r.metrics.queues, 0);
    const cli = await plugway(['rabbitmq', vh.url, '--json', '--window', '1500ms']);
    assert.equal(cli.code, 0, cli.stdout + cli.stderr);
    assert.equal(JSON.parse(cli.stdout).status, 'healthy');
  });

  test('a backlog growing with no consumer is a warning (exit 1); one that stopped growing is info', async () => {
    const conn = await vh.connect();
    const ch = await conn.createChannel();
    await ch.assertQueue('orders');
    await ch.assertQueue('archive');
    // archive: filled once, then left alone; orders: fed all along.
    for (let i = 0; i < 1200; i++) ch.sendToQueue('archive', Buffer.from('old'));
    let publishing = true;
    const publisher = (async () => {
      while (publishing) {
        for (let i = 0; i < 50; i++) ch.sendToQueue('orders', Buffer.from('order'));
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    try {
      await eventually('the API to show orders growing and archive at rest', async () => {
        const [orders, archive] = await Promise.all(['orders', 'archive'].map((q) => vh.api<ApiQueue>('GET', `/api/queues/${vh.name}/${q}`)));
        return (orders!.messages_ready ?? 0) >= 1000 && (orders!.messages_ready_details?.rate ?? 0) > 0 && archive!.messages_ready === 1200 && archive!.messages_ready_details?.rate === 0;
      });
      const r = await diagnose(vh.url, ['queues']);
      const f = expectFinding(r, 'RABBITMQ_QUEUE_BACKLOG_NO_CONSUMERS', 'warning');
      const growing = f.evidence.queues as Array<{ queue: string; vhost: string; consumers: number; ready_growth_per_second: number }>;
      assert.deepEqual(
        growing.map((q) => [q.vhost, q.queue, q.consumers]),
        [[vh.name, 'orders', 0]],
      );
      assert.ok(growing[0]!.ready_growth_per_second > 0);
      const still = expectFinding(r, 'RABBITMQ_QUEUE_NO_CONSUMERS', 'info');
      assert.deepEqual(
        (still.evidence.queues as Array<{ queue: string }>).map((q) => q.queue),
        ['archive'],
      );
      const cli = await plugway(['rabbitmq', vh.url, '--json', '--window', '300ms', '--category', 'queues']);
      assert.equal(cli.code, 1, cli.stdout + cli.stderr);
    } finally {
      publishing = false;
      await publisher;
    }
    await ch.deleteQueue('orders');
    // What is left is the backlog at rest: info, exit 0.
    const quiet = await diagnose(vh.url, ['queues']);
    assert.equal(find(quiet, 'RABBITMQ_QUEUE_BACKLOG_NO_CONSUMERS'), undefined, codes(quiet).join());
    assert.equal(quiet.status, 'healthy');
    await ch.deleteQueue('archive');
  });

  test('a consumer that never acks: unacked messages pile up (no prefetch named); a prefetch-bound one leaves utilisation low', async () => {
    const conn = await vh.connect();
    const pub = await conn.createChannel();
    for (const q of ['jobs', 'slow']) {
      await pub.assertQueue(q);
      for (let i = 0; i < 1500; i++) pub.sendToQueue(q, Buffer.from(`job ${i}`));
    }
    await (pub as { waitForConfirms?: () => Promise<void> }).waitForConfirms?.().catch(() => undefined);
    // No basic.qos: the broker pushes every message to this consumer, which never acks.
    const greedy = await conn.createChannel();
    await greedy.consume('jobs', () => undefined, { noAck: false });
    const bounded = await conn.createChannel();
    await bounded.prefetch(10);
    await bounded.consume('slow', () => undefined, { noAck: false });
    // Utilisation is a moving average the queue updates while it is busy: keep feeding it.
    let feeding = true;
    const feeder = (async () => {
      while (feeding) {
        pub.sendToQueue('slow', Buffer.from('more'));
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    await eventually('the API to show the unacked messages and the utilisation', async () => {
      const [jobs, slow] = await Promise.all(['jobs', 'slow'].map((q) => vh.api<ApiQueue>('GET', `/api/queues/${vh.name}/${q}`)));
      if ((slow!.messages_ready ?? 0) < 1000) return false;
      const channels = await vh.api<Array<{ messages_unacknowledged?: number; prefetch_count?: number }>>('GET', `/api/vhosts/${vh.name}/channels`);
      return (
        (jobs!.messages_unacknowledged ?? 0) >= 1500 &&
        typeof slow!.consumer_utilisation === 'number' &&
        slow!.consumer_utilisation < 0.5 &&
        channels.some((c) => c.messages_unacknowledged === 1500 && c.prefetch_count === 0)
      );
    });
    const r = await diagnose(vh.url, ['queues']).finally(async () => {
      feeding = false;
      await feeder;
    });
    const un = expectFinding(r, 'RABBITMQ_UNACKED_HIGH', 'warning');
    assert.deepEqual(
      (un.evidence.queues as Array<{ queue: string }>).map((q) => q.queue),
      ['jobs'],
    );
    assert.ok((un.evidence.channels_without_prefetch as number) >= 1, JSON.stringify(un.evidence));
    const util = expectFinding(r, 'RABBITMQ_CONSUMER_UTILISATION_LOW', 'warning');
    assert.deepEqual(
      (util.evidence.queues as Array<{ queue: string }>).map((q) => q.queue),
      ['slow'],
    );
    assert.equal(find(r, 'RABBITMQ_QUEUE_BACKLOG_NO_CONSUMERS'), undefined);
    await greedy.close();
    await bounded.close();
    await pub.deleteQueue('jobs');
    await pub.deleteQueue('slow');
  });

  test('connection churn: connections opened and closed in a loop', async () => {
    let churning = true;
    const churn = (async () => {
      while (churning) await (await amqp.connect(vh.url)).close();
    })();
    try {
      await eventually('the API to show the churn', async () => {
        const o = await vh.api<{ churn_rates: { connection_created_details: { rate: number } } }>('GET', '/api/overview');
        return o.churn_rates.connection_created_details.rate >= 2;
      });
      const r = await diagnose(vh.url, ['churn'], { connection_churn_per_second: 2 });
      const f = expectFinding(r, 'RABBITMQ_CONNECTION_CHURN', 'warning');
      assert.ok((f.evidence.opened_per_second as number) >= 2);
    } finally {
      churning = false;
      await churn;
    }
  });

  test("POST /diagnostics/rabbitmq: a DiagnosticResult for a target, 400 for a bad body or another system's URL", async () => {
    const p = createRabbitDiagnostics({});
    const req = (body: unknown) => ({ id: 'r1', method: 'POST', path: '/diagnostics/rabbitmq', params: {}, query: {}, headers: {}, body, context: {} });
    const ok = await p.handleRequest(req({ target: vh.url, window: '200ms', categories: ['queues', 'alarms'] }));
    assert.equal(ok.statusCode, 200, JSON.stringify(ok.body));
    assert.equal((ok.body as DiagnosticResult).plugin_id, 'rabbitmq-diagnostics');
    for (const bad of [{ target: vh.url, categories: ['nope'] }, { window: '1s' }]) {
      const res = await p.handleRequest(req(bad));
      assert.equal(res.statusCode, 400, JSON.stringify(bad));
    }
    const foreign = await p.handleRequest(req({ target: 'redis://127.0.0.1:6379' }));
    assert.equal((foreign.body as { error: { code: string } }).error.code, 'PLW_ERR_DIAG_BAD_TARGET');
  });

  test('actions: queues lists backlog; purge-queue only with allow_destructive', async () => {
    const conn = await vh.connect();
    const ch = await conn.createChannel();
    await ch.assertQueue('purge-me');
    for (let i = 0; i < 5; i++) ch.sendToQueue('purge-me', Buffer.from('x'));
    await eventually('the messages to be queued', async () => (await ch.checkQueue('purge-me')).messageCount === 5);
    const p = createRabbitDiagnostics({});
    await p.connect({ url: vh.url }, none);
    try {
      const listed = (await p.execute('queues', {}, none)) as { queues: Array<{ name: string }> };
      assert.ok(listed.queues.some((q) => q.name === 'purge-me'));
      await assert.rejects(() => p.execute('purge-queue', { queue: 'purge-me' }, none), { code: 'PLW_ERR_ACTION_DESTRUCTIVE' });
      await assert.rejects(() => p.execute('delete-vhost', {}, none), { code: 'PLW_ERR_ACTION_NOT_ALLOWED' });
    } finally {
      await p.disconnect(none);
    }
    const brave = createRabbitDiagnostics({ allow_destructive: true });
    await brave.connect({ url: vh.url }, none);
    try {
      assert.deepEqual(await brave.execute('purge-queue', { queue: 'purge-me' }, none), { purged: true, vhost: vh.name, queue: 'purge-me' });
      assert.equal((await ch.checkQueue('purge-me')).messageCount, 0);
    } finally {
      await brave.disconnect(none);
    }
  });
});

test('unreachable: a port where nothing speaks AMQP, a vhost that does not exist, a wrong password', { skip }, async () => {
  const port = await freePort();
  const p = createRabbitDiagnostics({});
  await assert.rejects(
    () => p.connect({ url: `amqp://guest:guest@127.0.0.1:${port}` }, none),
    (e: Error & { code?: string }) => e.code === 'PLW_ERR_DIAG_CONNECT' && /ECONNREFUSED/.test(e.message),
  );
  await assert.rejects(() => p.connect({ url: 'amqp://guest:guest@127.0.0.1:5672/plw-no-such-vhost' }, none), /does not exist/);
  await assert.rejects(() => p.connect({ url: 'amqp://guest:wrong@127.0.0.1:5672' }, none), /401/);
  await assert.rejects(() => p.connect({ url: 'redis://127.0.0.1:6379' }, none), { code: 'PLW_ERR_DIAG_BAD_TARGET' });
  const cli = await plugway(['rabbitmq', `127.0.0.1:${port}`, '--json', '--timeout', '2s']);
  assert.equal(cli.code, 3, cli.stdout + cli.stderr);
});
