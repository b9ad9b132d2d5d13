// Cluster health: nodes that are not running and network partitions (a node listing others in
// `partitions`), both critical: a partitioned cluster serves diverging data.
import type { Finding } from 'plugway/sdk';
import { finding, last, type Check, type CheckInput } from './types.js';

const C = 'cluster';

export const clusterCheck: Check = {
  name: 'cluster',
  category: C,
  async run(input: CheckInput): Promise<Finding[]> {
    const out: Finding[] = [];
    const nodes = last(input).nodes;
    input.metrics.nodes = nodes.length;
    input.metrics.nodes_running = nodes.filter((n) => n.running !== false).length;
    const down = nodes.filter((n) => n.running === false);
    if (down.length > 0) {
      out.push(
        finding(
          C,
          'critical',
          'RABBITMQ_NODE_DOWN',
          `${down.length} of ${nodes.length} cluster nodes are not running: ${down.map((n) => n.name).join(', ')}`,
          { down: down.map((n) => n.name), nodes: nodes.map((n) => n.name) },
          'Start the node (rabbitmq-server) or remove it from the cluster (rabbitmqctl forget_cluster_node); queues led by it are unavailable meanwhile.',
        ),
      );
    }
    const split = nodes.filter((n) => Array.isArray(n.partitions) && n.partitions.length > 0);
    if (split.length > 0) {
      out.push(
        finding(
          C,
          'critical',
          'RABBITMQ_PARTITIONED',
          `Network partition: ${split.map((n) => `${n.name} cannot see ${n.partitions!.join(', ')}`).join('; ')}`,
          { partitions: Object.fromEntries(split.map((n) => [n.name, n.partitions])) },
          'Restore the network between the nodes, then restart the nodes of the losing side (or rely on cluster_partition_handling = pause_minority / autoheal).',
        ),
      );
    }
    return out;
  },
};
