// Every check of the MySQL/MariaDB checklist, in report order; categories come from the checks.
import type { Check } from '../types.js';
import { binlogCheck } from './binlog.js';
import { bufferPoolCheck } from './buffer-pool.js';
import { connectionsCheck } from './connections.js';
import { digestsCheck } from './digests.js';
import { locksCheck } from './locks.js';
import { replicationCheck } from './replication.js';
import { resourcesCheck } from './resources.js';
import { serverCheck } from './server.js';
import { slowQueriesCheck } from './slow-queries.js';
import { tableScansCheck } from './table-scans.js';
import { tempTablesCheck } from './temp-tables.js';
import { transactionsCheck } from './transactions.js';

export const CHECKS: readonly Check[] = [
  serverCheck,
  replicationCheck,
  connectionsCheck,
  slowQueriesCheck,
  digestsCheck,
  tableScansCheck,
  tempTablesCheck,
  bufferPoolCheck,
  locksCheck,
  transactionsCheck,
  resourcesCheck,
  binlogCheck,
];

export const CATEGORIES: readonly string[] = [...new Set(CHECKS.map((c) => c.category))];
