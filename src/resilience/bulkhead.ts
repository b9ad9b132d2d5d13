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

  /**
   * execute() for a call that may answer synchronously: with a slot free, fn runs at once; a
   * synchronous answer (or throw) has left its slot before anything else could ask for one, and
   * a promise takes the slot until it settles (cockatiel takes a free slot synchronously). With
   * none free it queues or is refused as execute() does (a rejected promise).
   */
  run<T>(fn: () => T | Promise<T>): T | Promise<T> {
    const policy = this.policy;
    if (policy.executionSlots <= 0) return policy.execute(() => Promise.resolve(fn()));
    const r = fn();
    return r instanceof Promise ? policy.execute(() => r) : r;
  }
}
