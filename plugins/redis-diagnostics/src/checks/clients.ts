// Checklist 5: connections against maxclients, rejected connections over the window, blocked and
// idle clients, output buffers (MEMORY DOCTOR's average > 200 KB).
import type { Finding } from 'plugway/sdk';
import { num } from '../info.js';
import { finding, fmtMb, last, pct, type Check } from './types.js';

/** Above this many clients CLIENT LIST (one line each) is not read: it would block the server. */
export const CLIENT_LIST_MAX = 10_000;

export const clientsCheck: Check = async ({ node, samples, config, cfg, metrics }) => {
  const s = await samples;
  const a = s[0]!.info;
  const b = last(s).info;
  const out: Finding[] = [];
  const connected = num(b, 'connected_clients') ?? 0;
  metrics.connected_clients = connected;
  let maxclients = num(b, 'maxclients');
  if (maxclients === undefined) {
    const c = await config;
    if (!(c instanceof Error) && c.maxclients) maxclients = Number(c.maxclients);
  }
  if (maxclients && maxclients > 0) {
    const ratio = connected / maxclients;
    metrics.clients_ratio = ratio;
    if (ratio >= cfg.clients_warn_ratio) {
      out.push(
        finding(
          'clients',
          ratio >= cfg.clients_crit_ratio ? 'critical' : 'warning',
          'REDIS_CLIENTS_NEAR_LIMIT',
          `${connected} clients are connected, ${pct(ratio)} of maxclients ${maxclients}`,
          { connected_clients: connected, maxclients, ratio: Number(ratio.toFixed(4)) },
          'Find who holds the connections (CLIENT LIST), use connection pools, or raise maxclients (and the open-files limit).',
        ),
      );
    }
  } else {
    out.push(
      finding(
        'clients',
        'info',
        'REDIS_CHECK_UNAVAILABLE',
        'maxclients is unknown (not in INFO, CONFIG GET not allowed): saturation not checked',
        { check: 'clients-saturation' },
        'Grant CONFIG GET to the diagnosing user (+config|get) to check saturation.',
      ),
    );
  }
  if (connected > cfg.clients_many) {
    out.push(
      finding(
        'clients',
        'info',
        'REDIS_MANY_CLIENTS',
        `${connected} clients connected (more than ${cfg.clients_many})`,
        { connected_clients: connected, threshold: cfg.clients_many },
        'Check that clients use pools rather than a connection per request.',
      ),
    );
  }
  const rejA = num(a, 'rejected_connections') ?? 0;
  const rejB = num(b, 'rejected_connections') ?? 0;
  if (rejB > rejA) {
    out.push(
      finding(
        'clients',
        'critical',
        'REDIS_CONNECTIONS_REJECTED',
        `${rejB - rejA} connections were rejected during the window`,
        { rejected_in_window: rejB - rejA, rejected_total: rejB, maxclients },
        'Clients are being turned away: raise maxclients or close idle connections.',
      ),
    );
  } else if (rejB > 0) {
    out.push(
      finding(
        'clients',
        'info',
        'REDIS_CONNECTIONS_REJECTED_PAST',
        `${rejB} connections were rejected since start, none during the window`,
        { rejected_total: rejB },
        'Check past connection storms against maxclients.',
      ),
    );
  }
  const blocked = num(b, 'blocked_clients') ?? 0;
  metrics.blocked_clients = blocked;
  if (blocked > 0) {
    out.push(
      finding(
        'clients',
        'info',
        'REDIS_BLOCKED_CLIENTS',
        `${blocked} clients are blocked (BLPOP, BRPOP, XREAD BLOCK, WAIT …)`,
        { blocked_clients: blocked },
        'Expected for queue consumers; otherwise check that producers still push to the keys they wait on.',
      ),
    );
  }
  const normalBuf = num(b, 'mem_clients_normal');
  if (normalBuf !== undefined && connected > 0 && normalBuf / connected > cfg.client_output_buffer_avg_bytes) {
    out.push(
      finding(
        'clients',
        'warning',
        'REDIS_CLIENT_BUFFERS_HIGH',
        `Clients use ${fmtMb(normalBuf / connected)} of buffers each on average`,
        { mem_clients_normal: normalBuf, connected_clients: connected, avg_bytes: Math.round(normalBuf / connected) },
        'Some clients read replies slowly or run huge MONITOR/pub-sub streams: find them with CLIENT LIST (omem) and set client-output-buffer-limit.',
      ),
    );
  }
  // CLIENT LIST for idle time; bounded so a server with tens of thousands of clients is not flooded.
  if (connected > CLIENT_LIST_MAX) {
    out.push(
      finding(
        'clients',
        'info',
        'REDIS_CHECK_UNAVAILABLE',
        `Idle clients not checked: ${connected} clients are connected, CLIENT LIST is skipped above ${CLIENT_LIST_MAX}`,
        { check: 'idle-clients', connected_clients: connected, limit: CLIENT_LIST_MAX, reason: `more than ${CLIENT_LIST_MAX} clients` },
        'Look for idle clients with CLIENT LIST at a quiet moment, or set the timeout config so idle connections are closed.',
      ),
    );
  } else {
    try {
      const list = String(await node.call('CLIENT', 'LIST'));
      const idle: Array<{ addr: string; idle: number; name: string }> = [];
      for (const line of list.split('\n')) {
        const m = / idle=(\d+)/.exec(line);
        if (m && Number(m[1]) > cfg.client_idle_seconds && !/ flags=\w*[SM]/.test(line)) {
          idle.push({ addr: / addr=(\S+)/.exec(line)?.[1] ?? '?', idle: Number(m[1]), name: / name=(\S*)/.exec(line)?.[1] ?? '' });
        }
      }
      if (idle.length > 0) {
        idle.sort((x, y) => y.idle - x.idle);
        out.push(
          finding(
            'clients',
            'info',
            'REDIS_IDLE_CLIENTS',
            `${idle.length} clients idle for more than ${cfg.client_idle_seconds} s`,
            { count: idle.length, oldest: idle.slice(0, 5) },
            'Set the timeout config or fix clients that leak connections.',
          ),
        );
      }
    } catch (err) {
      out.push(
        finding(
          'clients',
          'info',
          'REDIS_CHECK_UNAVAILABLE',
          `CLIENT LIST not allowed: ${(err as Error).message}`,
          { check: 'idle-clients' },
          'Grant +client|list to the diagnosing user to see idle clients.',
        ),
      );
    }
  }
  return out;
};
