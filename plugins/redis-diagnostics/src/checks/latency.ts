// Checklist 10 and LATENCY DOCTOR: the slowlog (slow entries, top commands), slowlog and
// latency-monitor settings, latency spikes, transparent huge pages on a local server.
import { readFile } from 'node:fs/promises';
import type { Finding } from 'plugway/sdk';
import { finding, type Check } from './types.js';

interface SlowEntry {
  id: number;
  time: number;
  micros: number;
  command: string;
}

function parseSlowlog(reply: unknown): SlowEntry[] {
  if (!Array.isArray(reply)) return [];
  return reply.map((e) => {
    const x = e as unknown[];
    const args = Array.isArray(x[3]) ? (x[3] as unknown[]).map(String) : [];
    return { id: Number(x[0]), time: Number(x[1]), micros: Number(x[2]), command: (args[0] ?? '?').toLowerCase() };
  });
}

const LOOPBACK = /^(127\.|::1$|localhost$)/;

export const latencyCheck: Check = async ({ node, config, cfg, plan, metrics }) => {
  const out: Finding[] = [];
  const conf = await config;
  const slowerThan = conf instanceof Error ? undefined : Number(conf['slowlog-log-slower-than']);
  const monitorMs = conf instanceof Error ? undefined : Number(conf['latency-monitor-threshold']);
  if (slowerThan !== undefined && slowerThan < 0) {
    out.push(
      finding(
        'latency',
        'info',
        'REDIS_SLOWLOG_DISABLED',
        'The slowlog is disabled (slowlog-log-slower-than < 0)',
        { 'slowlog-log-slower-than': slowerThan },
        'Enable it: CONFIG SET slowlog-log-slower-than 10000 (10 ms).',
      ),
    );
  }
  if (monitorMs === 0) {
    out.push(
      finding(
        'latency',
        'info',
        'REDIS_LATENCY_MONITOR_OFF',
        'The latency monitor is off (latency-monitor-threshold 0): LATENCY DOCTOR has nothing to analyse',
        { 'latency-monitor-threshold': 0 },
        'Enable it with CONFIG SET latency-monitor-threshold 100 to record latency spikes.',
      ),
    );
  } else if (monitorMs !== undefined && slowerThan !== undefined && slowerThan >= 0 && slowerThan > monitorMs * 1000) {
    out.push(
      finding(
        'latency',
        'info',
        'REDIS_SLOWLOG_THRESHOLD_HIGH',
        `slowlog-log-slower-than (${slowerThan} µs) is above the latency monitor threshold (${monitorMs} ms)`,
        { 'slowlog-log-slower-than': slowerThan, 'latency-monitor-threshold': monitorMs },
        'Lower slowlog-log-slower-than so slow commands behind latency events are logged too.',
      ),
    );
  }
  if (conf instanceof Error) {
    out.push(
      finding(
        'latency',
        'info',
        'REDIS_CHECK_UNAVAILABLE',
        `CONFIG GET not allowed: slowlog and latency settings not checked (${conf.message})`,
        { check: 'latency-settings' },
        'Grant +config|get to the diagnosing user.',
      ),
    );
  }
  try {
    const entries = parseSlowlog(await node.call('SLOWLOG', 'GET', String(cfg.slowlog_entries)));
    metrics.slowlog_entries = entries.length;
    const byCmd = new Map<string, { count: number; max_ms: number; total_ms: number }>();
    for (const e of entries) {
      const c = byCmd.get(e.command) ?? { count: 0, max_ms: 0, total_ms: 0 };
      c.count++;
      c.max_ms = Math.max(c.max_ms, e.micros / 1000);
      c.total_ms += e.micros / 1000;
      byCmd.set(e.command, c);
    }
    const top = [...byCmd.entries()]
      .sort((x, y) => y[1].total_ms - x[1].total_ms)
      .slice(0, 5)
      .map(([command, v]) => ({ command, ...v }));
    const over = entries.filter((e) => e.micros / 1000 > cfg.slowlog_warn_ms);
    // The slowlog keeps entries until it is reset or overwritten: only recent ones say something
    // about now (cron users read the exit code); older ones are history.
    const [sec, usec] = (await node.call('TIME')) as [string, string];
    const now = Number(sec) + Number(usec) / 1e6;
    const slow = over.filter((e) => now - e.time <= cfg.slowlog_recent_seconds);
    const past = over.filter((e) => now - e.time > cfg.slowlog_recent_seconds);
    const slowest = (xs: SlowEntry[]) =>
      [...xs]
        .sort((x, y) => y.micros - x.micros)
        .slice(0, 5)
        .map((e) => ({ command: e.command, ms: e.micros / 1000, time: e.time, age_seconds: Math.round(now - e.time) }));
    if (slow.length > 0) {
      out.push(
        finding(
          'latency',
          'warning',
          'REDIS_SLOWLOG_SLOW_COMMANDS',
          `${slow.length} slowlog entries in the last ${cfg.slowlog_recent_seconds} s took over ${cfg.slowlog_warn_ms} ms (slowest ${(Math.max(...slow.map((e) => e.micros)) / 1000).toFixed(0)} ms)`,
          { slow_entries: slow.length, recent_seconds: cfg.slowlog_recent_seconds, slowest: slowest(slow), older_slow_entries: past.length, top_commands: top },
          'Find the commands above: avoid O(N) commands on big keys (KEYS, SMEMBERS, HGETALL, LRANGE 0 -1), split big keys, and reset the slowlog (action slowlog-reset) after fixing.',
        ),
      );
    }
    if (past.length > 0) {
      out.push(
        finding(
          'latency',
          'info',
          'REDIS_SLOWLOG_SLOW_COMMANDS_PAST',
          `${past.length} slowlog entries over ${cfg.slowlog_warn_ms} ms, all older than ${cfg.slowlog_recent_seconds} s (the newest ${Math.round(now - Math.max(...past.map((e) => e.time)))} s ago)`,
          { slow_entries: past.length, recent_seconds: cfg.slowlog_recent_seconds, slowest: slowest(past), top_commands: top },
          'History, not a current problem: check the commands listed, and reset the slowlog (action slowlog-reset) once they are dealt with.',
        ),
      );
    }
    if (over.length === 0 && entries.length > 0) {
      out.push(
        finding(
          'latency',
          'info',
          'REDIS_SLOWLOG_ENTRIES',
          `${entries.length} slowlog entries, none over ${cfg.slowlog_warn_ms} ms`,
          { top_commands: top },
          'Nothing urgent; watch the commands listed.',
        ),
      );
    }
  } catch (err) {
    out.push(finding('latency', 'info', 'REDIS_CHECK_UNAVAILABLE', `SLOWLOG GET not allowed: ${(err as Error).message}`, { check: 'slowlog' }, 'Grant +slowlog to the diagnosing user.'));
  }
  if (monitorMs !== 0) {
    try {
      const latest = (await node.call('LATENCY', 'LATEST')) as unknown[][];
      const spikes = (latest ?? []).map((r) => ({ event: String(r[0]), time: Number(r[1]), latest_ms: Number(r[2]), max_ms: Number(r[3]) })).filter((e) => e.max_ms >= cfg.latency_event_warn_ms);
      if (spikes.length > 0) {
        out.push(
          finding(
            'latency',
            'warning',
            'REDIS_LATENCY_SPIKES',
            `Latency events up to ${Math.max(...spikes.map((e) => e.max_ms))} ms (${spikes.map((e) => e.event).join(', ')})`,
            { events: spikes },
            'Run LATENCY DOCTOR on the server for advice per event; reset with the latency-reset action after fixing.',
          ),
        );
      }
    } catch (err) {
      out.push(finding('latency', 'info', 'REDIS_CHECK_UNAVAILABLE', `LATENCY LATEST not allowed: ${(err as Error).message}`, { check: 'latency-events' }, 'Grant +latency to the diagnosing user.'));
    }
  }
  // THP is a host setting: readable only when the server runs on this machine.
  const host = plan.endpoints[0]?.host ?? '';
  if (plan.mode === 'standalone' && LOOPBACK.test(host)) {
    try {
      const thp = await readFile('/sys/kernel/mm/transparent_hugepage/enabled', 'utf8');
      if (thp.includes('[always]')) {
        out.push(
          finding(
            'latency',
            'info',
            'REDIS_THP_ENABLED',
            'Transparent huge pages are enabled ([always]) on this host',
            { transparent_hugepage: thp.trim() },
            'echo madvise > /sys/kernel/mm/transparent_hugepage/enabled: THP makes forks and copy-on-write slow.',
          ),
        );
      }
    } catch {
      /* no THP file (container, non-Linux): nothing to say */
    }
  }
  return out;
};
