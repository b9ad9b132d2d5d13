// The churn check on the counters a broker reports: what the diagnosis's own AMQP probe opened and
// closed within the window is not the clients' churn.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULTS } from '../config.js';
import { churnCheck } from './churn.js';
import type { CheckInput } from './types.js';

/** Two samples 0.3 s apart; `opened` connections created (and closed) between them. */
function input(opened: number, own?: number): CheckInput {
  const at = (created: number) => ({ connection_created: created, connection_closed: created, channel_created: 0, channel_closed: 0 });
  const samples = [
    { at: 0, overview: { churn_rates: at(100), object_totals: {} }, nodes: [], queues: [] },
    { at: 300, overview: { churn_rates: at(100 + opened), object_totals: {} }, nodes: [], queues: [] },
  ];
  return {
    samples,
    cfg: DEFAULTS,
    plan: {} as CheckInput['plan'],
    get: async () => ({}) as never,
    amqpProbe: Promise.resolve(undefined),
    ...(own === undefined ? {} : { ownConnections: Promise.resolve(own) }),
    metrics: {},
  } as CheckInput;
}

test("the diagnosis's own probe connection is taken off the window's count", async () => {
  // 3 in 0.3 s is 10 a second, the default threshold: churn, unless one of them was the probe's
  assert.deepEqual(
    (await churnCheck.run(input(3))).map((f) => f.code),
    ['RABBITMQ_CONNECTION_CHURN'],
  );
  const m: Record<string, number> = {};
  const own = input(3, 1);
  own.metrics = m;
  assert.deepEqual(await churnCheck.run(own), []);
  assert.equal(m.connections_opened_per_second, 6.67);
  // a failed probe opened nothing: everything counts
  assert.deepEqual(
    (await churnCheck.run(input(4, 0))).map((f) => f.code),
    ['RABBITMQ_CONNECTION_CHURN'],
  );
});
