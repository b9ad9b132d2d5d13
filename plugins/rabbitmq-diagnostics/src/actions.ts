// execute(): the whitelisted actions. `queues` only reads (the queues with the largest backlog);
// purging a queue or closing a connection loses data or work, so they run only with allow_destructive.
import { DiagnosticsError } from 'plugway/sdk';
import type { QueueStats } from './checks/types.js';
import type { RabbitSession } from './session.js';

export const SAFE_ACTIONS = ['queues'] as const;
export const DESTRUCTIVE_ACTIONS = ['purge-queue', 'close-connection'] as const;
export const ACTIONS: readonly string[] = [...SAFE_ACTIONS, ...DESTRUCTIVE_ACTIONS];

const enc = encodeURIComponent;

/** Runs an action the SDK's gate let through (whitelisted; destructive only when allowed). */
export async function runAction(session: RabbitSession, action: string, params: Record<string, unknown>): Promise<unknown> {
  const bad = (reason: string) => new DiagnosticsError('PLW_ERR_CLI_USAGE', `Action ${action}: ${reason}`);
  const vhost = typeof params.vhost === 'string' ? params.vhost : session.plan.vhost;
  switch (action) {
    case 'queues': {
      const path = vhost !== undefined ? `/api/queues/${enc(vhost)}` : '/api/queues';
      const queues = await session.api.get<QueueStats[]>(`${path}?columns=name,vhost,messages_ready,messages_unacknowledged,consumers,state`);
      const limit = typeof params.limit === 'number' ? params.limit : 20;
      return { queues: queues.sort((a, b) => (b.messages_ready ?? 0) - (a.messages_ready ?? 0)).slice(0, limit) };
    }
    case 'purge-queue': {
      if (typeof params.queue !== 'string' || vhost === undefined) throw bad('give params.queue and params.vhost (or a vhost in the target URL)');
      await session.api.request('DELETE', `/api/queues/${enc(vhost)}/${enc(params.queue)}/contents`);
      return { purged: true, vhost, queue: params.queue };
    }
    case 'close-connection': {
      if (typeof params.name !== 'string') throw bad('give params.name (the connection name the management API lists, e.g. "127.0.0.1:50000 -> 127.0.0.1:5672")');
      await session.api.request('DELETE', `/api/connections/${enc(params.name)}`);
      return { closed: true, name: params.name };
    }
  }
  throw bad('unknown action');
}
