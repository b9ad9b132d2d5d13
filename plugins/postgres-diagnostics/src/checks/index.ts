// Every check of the PostgreSQL checklist, in report order; categories come from the checks.
import type { Check } from '../types.js';
import { activityCheck } from './activity.js';
import { bloatCheck } from './bloat.js';
import { cacheCheck } from './cache.js';
import { connectionsCheck } from './connections.js';
import { deadTuplesCheck } from './dead-tuples.js';
import { indexesCheck } from './indexes.js';
import { locksCheck } from './locks.js';
import { maintenanceCheck } from './maintenance.js';
import { replicationCheck } from './replication.js';
import { seqScansCheck } from './seq-scans.js';
import { serverCheck } from './server.js';
import { statementsCheck } from './statements.js';
import { vacuumCheck } from './vacuum.js';

export const CHECKS: readonly Check[] = [
  serverCheck,
  connectionsCheck,
  activityCheck,
  cacheCheck,
  replicationCheck,
  vacuumCheck,
  deadTuplesCheck,
  bloatCheck,
  locksCheck,
  statementsCheck,
  seqScansCheck,
  maintenanceCheck,
  indexesCheck,
];

export const CATEGORIES: readonly string[] = [...new Set(CHECKS.map((c) => c.category))];
