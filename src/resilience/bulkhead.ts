// Max concurrent calls per plugin (cockatiel's bulkhead), with a rejection that says how full it is.

import { BulkheadPolicy, BulkheadRejectedError, bulkhead } from 'cockatiel';
import type { BulkheadSettings } from '../host/config-types.js';

export { BulkheadRejectedError };

export class Bulkhead {
  private readonly policy: BulkheadPolicy;
  rejected = 0;

  constructor(readonly settings: BulkheadSettings) {
    this.policy = bulkhead(Math.max(1, settings.maxConcurrent), Math.max(0, settings.queue));
    this.policy.onReject(() => {
      this.rejected++;
    });
  }

  /** Calls in flight right now. */
  get active(): number {
    return this.settings.maxConcurrent - this.policy.executionSlots;
  }

  /** Runs fn in a slot; throws BulkheadRejectedError when every slot and queue place is taken. */
  execute<T>(fn: () => Promise<T>): Promise<T> {
    return this.policy.execute(fn);
  }
}
