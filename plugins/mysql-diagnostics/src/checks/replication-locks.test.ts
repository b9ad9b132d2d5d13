// Severity rules that a real server cannot be made to show on demand: a replica lag held steady
// above the warning level, and MySQL's deadlock counter (INNODB_METRICS; MariaDB has a status variable).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_CONFIG } from '../config.js';
import type { CheckInput, Row, StatusSample } from '../types.js';
import { locksCheck } from './locks.js';
import { replicationCheck } from './replication.js';

function input(samples: StatusSample[], query: (sql: string) => Row[] = () => []): CheckInput {
  return {
    query: async (sql: string) => query(sql),
    variables: { read_only: 'ON' },
    samples,
    config: { ...DEFAULT_CONFIG },
    server: { version: '8.0.36', flavor: 'mysql', major: 8, minor: 0, uptimeSeconds: 1e6 },
    metrics: {},
  } as CheckInput;
}

const replica = (behind: number): Row => ({ Replica_IO_Running: 'Yes', Replica_SQL_Running: 'Yes', Seconds_Behind_Source: behind, SQL_Delay: 0, Source_Host: 'src', Source_Port: 3306 });
const lagSeries = (...lags: number[]): StatusSample[] => lags.map((l, i) => ({ at: i * 1000, status: {}, replica: replica(l) }));

async function lagSeverity(...lags: number[]): Promise<string | undefined> {
  const f = (await replicationCheck.run(input(lagSeries(...lags)))).find((x) => x.code === 'MYSQL_REPLICA_LAG');
  return f && `${f.severity}/${f.evidence.trend}`;
}

test('replica lag above 30 s is critical unless it is recovering (mysqld_exporter)', async () => {
  assert.equal(await lagSeverity(40, 40, 40), 'critical/steady');
  assert.equal(await lagSeverity(40, 45, 50), 'critical/growing');
  assert.equal(await lagSeverity(50, 45, 40), 'warning/recovering');
  assert.equal(await lagSeverity(320, 310, 301), 'critical/recovering'); // above the critical level anyway
  assert.equal(await lagSeverity(10, 10, 10), undefined);
});

const deadlockSamples = (...counts: Array<number | undefined>): StatusSample[] =>
  counts.map((c, i) => ({
    at: i * 1000,
    status: { Innodb_row_lock_waits: '0' },
    ...(c === undefined ? { lockDeadlocksError: 'Access denied; you need the PROCESS privilege' } : { lockDeadlocks: c }),
  }));

test('MySQL: deadlocks during the window come from INNODB_METRICS lock_deadlocks read in every sample', async () => {
  const r = await locksCheck.run(input(deadlockSamples(5, 6, 8)));
  const f = r.find((x) => x.code === 'MYSQL_DEADLOCKS');
  assert.ok(f, JSON.stringify(r));
  assert.equal(f.severity, 'warning');
  assert.equal(f.evidence.deadlocks_in_window, 3);
  assert.equal(f.evidence.deadlocks_total, 8);
  assert.equal(f.evidence.source, 'INNODB_METRICS lock_deadlocks');
  const past = await locksCheck.run(input(deadlockSamples(5, 5)));
  assert.equal(
    past.find((x) => x.code === 'MYSQL_DEADLOCKS'),
    undefined,
  );
  assert.equal(past.find((x) => x.code === 'MYSQL_DEADLOCKS_PAST')?.severity, 'info');
});

test('MySQL without a readable deadlock counter: an info finding says why', async () => {
  const r = await locksCheck.run(input(deadlockSamples(undefined, undefined)));
  const f = r.find((x) => x.code === 'MYSQL_CHECK_UNAVAILABLE' && x.evidence.check === 'deadlocks');
  assert.ok(f, JSON.stringify(r));
  assert.match(f.message, /PROCESS/);
});

test('MariaDB: the Innodb_deadlocks status variable is used', async () => {
  const samples: StatusSample[] = [
    { at: 0, status: { Innodb_deadlocks: '2' } },
    { at: 1000, status: { Innodb_deadlocks: '4' } },
  ];
  const f = (await locksCheck.run(input(samples))).find((x) => x.code === 'MYSQL_DEADLOCKS');
  assert.equal(f?.evidence.deadlocks_in_window, 2);
  assert.equal(f?.evidence.source, 'Innodb_deadlocks');
});
