// Every check of the PostgreSQL checklist, in report order; categories come from the checks.
import type { Check } from '../types.js';
import { activityCheck } from './activity.js';
import { bloatCheck } from './bloat.js';
import { cacheCheck } from './cache.js';
import { connectionsCheck } from './connections.js';
import { indexesCheck } from './indexes.js';
import { locksCheck } from './locks.js';
import { maintenanceCheck } from './maintenance.js';
import { replicationCheck } from './replication.js';
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
  bloatCheck,
  locksCheck,
  statementsCheck,
  maintenanceCheck,
  indexesCheck,
];

export const CATEGORIES: readonly string[] = [...new Set(CHECKS.map((c) => c.category))];
