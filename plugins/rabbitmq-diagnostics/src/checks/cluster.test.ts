// A partition cannot be induced with one broker on one machine: the check is fed the /api/nodes
// shape a partitioned two-node cluster reports (each node lists the other in `partitions`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULTS } from '../config.js';
import { clusterCheck } from './cluster.js';
import type { CheckInput, NodeStats } from './types.js';

function input(nodes: NodeStats[]): CheckInput {
  const sample = { at: 0, overview: {}, nodes, queues: [] };
  return { samples: [sample, { ...sample, at: 1000 }], cfg: DEFAULTS, plan: {} as CheckInput['plan'], get: async () => ({}) as never, amqpProbe: Promise.resolve(undefined), metrics: {} };
}

test('a partitioned cluster is critical, naming who cannot see whom', async () => {
  const f = await clusterCheck.run(
    input([
      { name: 'rabbit@a', running: true, partitions: ['rabbit@b'] },
      { name: 'rabbit@b', running: true, partitions: ['rabbit@a'] },
    ]),
  );
  assert.deepEqual(
    f.map((x) => [x.code, x.severity]),
    [['RABBITMQ_PARTITIONED', 'critical']],
  );
  assert.deepEqual(f[0]!.evidence.partitions, { 'rabbit@a': ['rabbit@b'], 'rabbit@b': ['rabbit@a'] });
});

test('a stopped cluster member is critical; a healthy cluster says nothing', async () => {
  const down = await clusterCheck.run(
    input([
      { name: 'rabbit@a', running: true, partitions: [] },
      { name: 'rabbit@b', running: false },
    ]),
  );
  assert.deepEqual(
    down.map((x) => x.code),
    ['RABBITMQ_NODE_DOWN'],
  );
  const ok = input([
    { name: 'rabbit@a', running: true, partitions: [] },
    { name: 'rabbit@b', running: true, partitions: [] },
  ]);
  assert.deepEqual(await clusterCheck.run(ok), []);
  assert.equal(ok.metrics.nodes_running, 2);
});
