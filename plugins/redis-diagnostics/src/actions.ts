// execute(): the whitelisted actions. Safe ones reset counters or release memory; destructive
// ones (killing clients, changing config) run only when the config sets allow_destructive.
import { DiagnosticsError } from 'plugway/sdk';
import type { RedisSession } from './session.js';

export const SAFE_ACTIONS = ['slowlog-reset', 'latency-reset', 'memory-purge'] as const;
export const DESTRUCTIVE_ACTIONS = ['client-kill', 'config-set'] as const;
export const ACTIONS: readonly string[] = [...SAFE_ACTIONS, ...DESTRUCTIVE_ACTIONS];

/** Runs an action the SDK's gate let through (whitelisted; destructive only when allowed). */
export async function runAction(session: RedisSession, action: string, params: Record<string, unknown>): Promise<Record<string, unknown>> {
  const nodes = session.nodes();
  const results: Record<string, unknown> = {};
  const bad = (reason: string) => new DiagnosticsError('PLW_ERR_CLI_USAGE', `Action ${action}: ${reason}`);
  for (const { node, address } of nodes) {
    switch (action) {
      case 'slowlog-reset':
        results[address] = await node.call('SLOWLOG', 'RESET');
        break;
      case 'latency-reset':
        results[address] = await node.call('LATENCY', 'RESET');
        break;
      case 'memory-purge':
        results[address] = await node.call('MEMORY', 'PURGE');
        break;
      case 'client-kill': {
        if (params.id !== undefined) results[address] = await node.call('CLIENT', 'KILL', 'ID', String(params.id));
        else if (typeof params.addr === 'string') results[address] = await node.call('CLIENT', 'KILL', 'ADDR', params.addr);
        else throw bad('give params.id (client id) or params.addr (ip:port)');
        break;
      }
      case 'config-set': {
        if (typeof params.parameter !== 'string' || params.value === undefined) throw bad('give params.parameter and params.value');
        results[address] = await node.call('CONFIG', 'SET', params.parameter, String(params.value));
        break;
      }
    }
  }
  return { action, nodes: results };
}
