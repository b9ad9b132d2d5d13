// The clients check where a real server cannot be made to hold the condition cheaply: more than
// CLIENT_LIST_MAX clients (Redis's own maxclients default is 10 000).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Redis } from 'ioredis';
import { DEFAULTS } from '../config.js';
import type { Info } from '../info.js';
import { CLIENT_LIST_MAX, clientsCheck } from './clients.js';
import type { NodeInput } from './types.js';

function input(connected: number, onCall: () => unknown): NodeInput {
  const info: Info = { connected_clients: String(connected), maxclients: '100000', blocked_clients: '0', rejected_connections: '0' };
  return {
    node: { call: async () => onCall() } as unknown as Redis,
    address: '127.0.0.1:6379',
    cfg: { ...DEFAULTS, clients_many: 1_000_000 },
    plan: {} as NodeInput['plan'],
    info,
    samples: Promise.resolve([
      { t: 0, info },
      { t: 1000, info },
    ]),
    config: Promise.resolve({}),
    metrics: {},
  };
}

test('above CLIENT_LIST_MAX clients the idle-clients check says it was skipped (info), and CLIENT LIST is not sent', async () => {
  let calls = 0;
  const findings = await clientsCheck(
    input(CLIENT_LIST_MAX + 1, () => {
      calls++;
      return '';
    }),
  );
  assert.equal(calls, 0);
  const skipped = findings.find((f) => f.code === 'REDIS_CHECK_UNAVAILABLE' && f.evidence.check === 'idle-clients');
  assert.ok(skipped, JSON.stringify(findings));
  assert.equal(skipped.severity, 'info');
  assert.equal(skipped.evidence.connected_clients, CLIENT_LIST_MAX + 1);
});

test('at or below it CLIENT LIST is read and nothing is said when no client is idle', async () => {
  let calls = 0;
  const findings = await clientsCheck(
    input(CLIENT_LIST_MAX, () => {
      calls++;
      return 'id=1 addr=127.0.0.1:1 idle=0 flags=N\n';
    }),
  );
  assert.equal(calls, 1);
  assert.deepEqual(
    findings.filter((f) => f.evidence.check === 'idle-clients'),
    [],
  );
});
