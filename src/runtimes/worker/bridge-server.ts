// The main-thread side of a worker's bridge: the plugin's log lines go to its logger, and its
// context calls (storage, events, and what the runtime adds, e.g. wasm's http.fetch) are served
// from the context the host built, with the answer sent back to the thread that asked.

import { type PlugwayError, reasonOf } from '../../errors.js';
import type { RuntimeInit } from '../types.js';
import type { IsolatedInstance } from '../isolated-instance.js';
import type { BridgeOp, ToMain } from './protocol.js';

export class BridgeServer {
  /** Event subscriptions per thread, by the thread's subscription number. */
  private readonly subscriptions = new Map<IsolatedInstance, Map<number, () => void>>();

  constructor(
    private readonly init: Pick<RuntimeInit, 'context' | 'logger'>,
    /** Serves an op the generic bridge does not know. */
    private readonly extraOp?: (op: BridgeOp, args: unknown[]) => Promise<unknown>,
  ) {}

  onMessage(inst: IsolatedInstance, msg: ToMain): void {
    if (msg.t === 'log') {
      const fields = { ...(msg.o ?? {}), instance: inst.index };
      const log = this.init.logger[msg.l === 'fatal' ? 'fatal' : msg.l].bind(this.init.logger);
      if (msg.s === undefined) log(fields);
      else log(fields, msg.s);
      return;
    }
    if (msg.t === 'br') {
      this.serve(inst, msg.op, msg.a).then(
        (v) => inst.send({ t: 'br', id: msg.id, ok: true, v: v === undefined ? null : v }),
        (err: unknown) =>
          inst.send({
            t: 'br',
            id: msg.id,
            ok: false,
            e: { message: reasonOf(err), ...(typeof (err as PlugwayError).code === 'string' ? { code: (err as PlugwayError).code, params: (err as PlugwayError).params } : {}) },
          }),
      );
    }
  }

  /** Ends a thread's event subscriptions (it died or the runtime is disposed). */
  drop(inst: IsolatedInstance): void {
    for (const off of this.subscriptions.get(inst)?.values() ?? []) off();
    this.subscriptions.delete(inst);
  }

  private async serve(inst: IsolatedInstance, op: BridgeOp, a: unknown[]): Promise<unknown> {
    const { storage, events } = this.init.context;
    switch (op) {
      case 'storage.get':
        return storage.get(String(a[0]));
      case 'storage.set':
        return storage.set(String(a[0]), a[1], typeof a[2] === 'number' ? a[2] : undefined);
      case 'storage.delete':
        return storage.delete(String(a[0]));
      case 'storage.exists':
        return storage.exists(String(a[0]));
      case 'events.emit':
        return events.emit(String(a[0]), a[1]);
      case 'events.on': {
        const sub = Number(a[1]);
        const off = events.on(String(a[0]), (event) => inst.send({ t: 'event', sub, v: event }));
        let subs = this.subscriptions.get(inst);
        if (!subs) this.subscriptions.set(inst, (subs = new Map()));
        subs.set(sub, off);
        return true;
      }
      case 'events.off': {
        const subs = this.subscriptions.get(inst);
        subs?.get(Number(a[0]))?.();
        subs?.delete(Number(a[0]));
        return true;
      }
      default:
        if (this.extraOp) return this.extraOp(op, a);
        throw new Error(`unknown bridge op ${op}`);
    }
  }
}
