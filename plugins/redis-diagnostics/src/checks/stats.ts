// Checklist 6 and 11: hit rate, command stats (µs per call), failed and rejected calls over the
// window, and commands that block or wipe the server (KEYS, FLUSHALL, FLUSHDB).
import type { Finding } from 'plugway/sdk';
import { commandStats, num } from '../info.js';
import { finding, last, pct, type Check } from './types.js';

const DANGEROUS = ['keys', 'flushall', 'flushdb'];

export const statsCheck: Check = async ({ samples, cfg, metrics }) => {
  const s = await samples;
  const a = s[0]!.info;
  const b = last(s).info;
  const elapsed = (last(s).t - s[0]!.t) / 1000;
  const out: Finding[] = [];
  const cmdA = num(a, 'total_commands_processed') ?? 0;
  const cmdB = num(b, 'total_commands_processed') ?? 0;
  metrics.ops_per_sec = elapsed > 0 ? Math.max(0, cmdB - cmdA) / elapsed : 0;
  const hits = num(b, 'keyspace_hits') ?? 0;
  const misses = num(b, 'keyspace_misses') ?? 0;
  const dh = hits - (num(a, 'keyspace_hits') ?? 0);
  const dm = misses - (num(a, 'keyspace_misses') ?? 0);
  // The window's own traffic when there is enough of it, the lifetime counters otherwise.
  const [h, m, scope] = dh + dm >= cfg.hit_rate_min_ops ? [dh, dm, 'window'] : [hits, misses, 'since start'];
  if (h + m > 0) metrics.hit_rate = h / (h + m);
  if (h + m >= cfg.hit_rate_min_ops && h / (h + m) < cfg.hit_rate_min) {
    // Only the window's hit rate warns; the lifetime one is history (info).
    out.push(
      finding(
        'stats',
        scope === 'window' ? 'warning' : 'info',
        'REDIS_HIT_RATE_LOW',
        `Keyspace hit rate is ${pct(h / (h + m))} (${scope})`,
        { hits: h, misses: m, hit_rate: Number((h / (h + m)).toFixed(4)), scope, threshold: cfg.hit_rate_min },
        'Many lookups miss: check key naming and TTLs, cache warm-up, or whether eviction removes keys too early.',
      ),
    );
  }
  const ca = commandStats(a);
  const cb = commandStats(b);
  const top = Object.entries(cb)
    .filter(([, v]) => v.calls > 0)
    .sort((x, y) => y[1].usec - x[1].usec)
    .slice(0, 5)
    .map(([name, v]) => ({ command: name, calls: v.calls, usec_per_call: v.usecPerCall, total_usec: v.usec }));
  if (top.length > 0) {
    out.push(
      finding(
        'stats',
        'info',
        'REDIS_TOP_COMMANDS',
        `Most time spent in ${top.map((t) => t.command).join(', ')}`,
        { top_by_total_time: top },
        'Commands with a high µs per call are candidates for optimisation (smaller values, pipelining, avoiding O(N) commands).',
      ),
    );
  }
  let calls = 0;
  let errors = 0;
  for (const [name, v] of Object.entries(cb)) {
    const p = ca[name];
    calls += v.calls - (p?.calls ?? 0);
    errors += v.failed + v.rejected - ((p?.failed ?? 0) + (p?.rejected ?? 0));
  }
  if (errors >= cfg.command_error_min && errors / Math.max(1, calls + errors) > cfg.command_error_ratio) {
    out.push(
      finding(
        'stats',
        'warning',
        'REDIS_COMMAND_ERRORS',
        `${errors} commands failed or were rejected during the window (${pct(errors / (calls + errors))})`,
        { errors_in_window: errors, calls_in_window: calls, per_second: Number((errors / Math.max(elapsed, 0.001)).toFixed(2)) },
        'See errorstat_* in INFO errorstats and the clients sending them (WRONGTYPE, NOAUTH, OOM, NOSCRIPT …).',
      ),
    );
  }
  for (const name of DANGEROUS) {
    const now = cb[name]?.calls ?? 0;
    const before = ca[name]?.calls ?? 0;
    if (now > before) {
      out.push(
        finding(
          'stats',
          'warning',
          'REDIS_DANGEROUS_COMMAND',
          `${name.toUpperCase()} was called ${now - before} times during the window`,
          { command: name, calls_in_window: now - before, calls_total: now },
          name === 'keys'
            ? 'KEYS blocks the server for O(N): use SCAN, and rename-command or an ACL (-keys) to forbid it.'
            : `${name.toUpperCase()} wipes data: forbid it for application users with an ACL (-${name}).`,
        ),
      );
    } else if (now > 0) {
      out.push(
        finding(
          'stats',
          'info',
          'REDIS_DANGEROUS_COMMAND_PAST',
          `${name.toUpperCase()} was called ${now} times since start`,
          { command: name, calls_total: now },
          `Forbid ${name.toUpperCase()} for application users with an ACL (-${name}).`,
        ),
      );
    }
  }
  return out;
};
