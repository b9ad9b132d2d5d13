// rabbitmq-diagnostics against a private RabbitMQ node this test starts (open files limited to
// 200): fresh it is healthy; connections fill its sockets; memory and disk alarms are raised.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import amqp from 'amqplib';
import createRabbitDiagnostics from '../../plugins/rabbitmq-diagnostics/src/index.js';
import { assertHealthy, codes, expectFinding, find } from './harness.js';
import { rabbitBinariesSkip, startPrivateRabbit, type PrivateRabbit } from './rabbitmq-server.js';
import { eventually, managementApi } from './rabbitmq-vhost.js';

const diagnose = async (node: PrivateRabbit, categories?: string[], windowMs = 300) => {
  const p = createRabbitDiagnostics({});
  await p.connect({ url: node.url, options: { management_url: `http://127.0.0.1:${node.managementPort}` } });
  try {
    return await p.diagnose({ windowMs, samples: 2, categories });
  } finally {
    await p.disconnect();
  }
};

describe('a private RabbitMQ node', { skip: rabbitBinariesSkip() }, () => {
  let node: PrivateRabbit;
  const conns: amqp.ChannelModel[] = [];
  before(async () => {
    node = await startPrivateRabbit({ openFiles: 200 });
  });
  after(async () => {
    await Promise.all(conns.map((c) => c.close().catch(() => undefined)));
    await node?.stop();
  });

  test("a fresh node is healthy; its AMQP port with the shared broker's management API is refused", async () => {
    const r = await diagnose(node);
    assertHealthy(r);
    assert.equal(r.server?.node, node.node);
    assert.equal(r.metrics.nodes, 1);
    const mixed = createRabbitDiagnostics({ management_port: 15672 });
    await assert.rejects(() => mixed.connect({ url: node.url }), /belongs to cluster/);
  });

  test('connections filling the sockets the open-files limit allows', async () => {
    const api = managementApi(`http://127.0.0.1:${node.managementPort}`);
    const [{ sockets_total: total }] = await api<Array<{ sockets_total: number }>>('GET', '/api/nodes');
    // Up to 85% of the node's sockets.
    while (conns.length < Math.ceil(total * 0.85)) {
      const c = await amqp.connect(node.url);
      c.on('error', () => undefined);
      conns.push(c);
    }
    await eventually('the API to count the sockets', async () => {
      const [n] = await api<Array<{ sockets_used: number }>>('GET', '/api/nodes');
      return n!.sockets_used >= total * 0.8;
    });
    const r = await diagnose(node, ['resources']);
    const f = expectFinding(r, 'RABBITMQ_SOCKETS_NEAR_LIMIT', 'warning');
    assert.equal(f.evidence.total, total);
    assert.ok((f.evidence.ratio as number) >= 0.8);
    await Promise.all(conns.splice(0).map((c) => c.close()));
  });

  test('memory and disk alarms are critical (publishers blocked)', async () => {
    await node.ctl('eval', 'vm_memory_monitor:set_vm_memory_high_watermark(0.0001), rabbit_disk_monitor:set_disk_free_limit(1000000000000000).');
    await eventually('both alarms', async () => {
      const [n] = await managementApi(`http://127.0.0.1:${node.managementPort}`)<Array<{ mem_alarm: boolean; disk_free_alarm: boolean }>>('GET', '/api/nodes');
      return n!.mem_alarm && n!.disk_free_alarm;
    });
    const r = await diagnose(node, ['alarms']);
    const mem = expectFinding(r, 'RABBITMQ_MEMORY_ALARM', 'critical');
    assert.equal((mem.evidence.nodes as Array<{ node: string }>)[0]!.node, node.node);
    assert.equal(mem.evidence.health_check, 'failed');
    expectFinding(r, 'RABBITMQ_DISK_ALARM', 'critical');
    assert.equal(find(r, 'RABBITMQ_MEMORY_HIGH'), undefined, 'the alarm, not also the warning before it');
    assert.equal(r.status, 'critical', codes(r).join());
  });
});
