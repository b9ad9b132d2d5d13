// advanced-analytics: aggregates of the domain events every plugin emits (plugway delivers each one
// to handleEvent), kept in memory, saved to ctx.storage after each event (so a reload or a restart
// with a shared storage plugin keeps them), served as JSON and counted on /metrics.
import type { DomainEvent, HandlerPlugin, PluginContext, PluginRequest, PluginResponse } from 'plugway/sdk';

interface Track {
  plays: number;
  listeners: string[];
  last_played: string;
}
interface Aggregates {
  since: string;
  events_total: number;
  by_type: Record<string, number>;
  users: Record<string, number>;
  tracks: Record<string, Track>;
  /** Plays per hour (`2026-01-31T14`), the last 48 hours. */
  plays_per_hour: Record<string, number>;
  sales: { count: number; volume: number };
}

const ID = /^[\w.@-]{1,64}$/;
/** An id fit to be a key of the aggregates (`constructor` or `__proto__` would reach Object.prototype). */
const str = (v: unknown) => (typeof v === 'string' && ID.test(v) && !Object.hasOwn(Object.prototype, v) ? v : undefined);
const fresh = (): Aggregates => ({ since: new Date().toISOString(), events_total: 0, by_type: {}, users: {}, tracks: {}, plays_per_hour: {}, sales: { count: 0, volume: 0 } });

let agg = fresh();
let counted: { inc(labels: { type: string }): void } | undefined;

function add(a: Aggregates, e: DomainEvent): void {
  const data = (e.data ?? {}) as Record<string, unknown>;
  a.events_total++;
  a.by_type[e.type] = (a.by_type[e.type] ?? 0) + 1;
  const user = str(data.user);
  if (user) a.users[user] = (a.users[user] ?? 0) + 1;
  if (e.type === 'track.played' && str(data.track)) {
    const t = (a.tracks[data.track as string] ??= { plays: 0, listeners: [], last_played: e.time });
    t.plays++;
    t.last_played = e.time;
    if (user && !t.listeners.includes(user)) t.listeners.push(user);
    const hour = e.time.slice(0, 13);
    a.plays_per_hour[hour] = (a.plays_per_hour[hour] ?? 0) + 1;
    const hours = Object.keys(a.plays_per_hour).sort();
    for (const old of hours.slice(0, Math.max(0, hours.length - 48))) delete a.plays_per_hour[old];
  }
  if (e.type === 'nft.purchased' && typeof data.price === 'number') {
    a.sales.count++;
    a.sales.volume += data.price;
  }
}

function summary(a: Aggregates, top: number) {
  const tracks = Object.entries(a.tracks)
    .sort(([x, s], [y, t]) => t.plays - s.plays || x.localeCompare(y))
    .slice(0, top)
    .map(([track, t]) => ({ track, plays: t.plays, listeners: t.listeners.length }));
  return {
    since: a.since,
    events_total: a.events_total,
    by_type: a.by_type,
    active_users: Object.keys(a.users).length,
    plays: a.by_type['track.played'] ?? 0,
    top_tracks: tracks,
    plays_per_hour: Object.entries(a.plays_per_hour).map(([hour, plays]) => ({ hour, plays })),
    sales: a.sales,
  };
}

export default {
  async start(ctx: PluginContext) {
    agg = (await ctx.storage.get<Aggregates>('aggregates')) ?? fresh();
    counted = ctx.metrics?.counter({ name: 'veza_analytics_events_total', help: 'Domain events counted by advanced-analytics', labelNames: ['type'] });
  },

  async handleEvent(event: DomainEvent, ctx: PluginContext) {
    if (event.source === 'plugway' || !str(event.type)) return;
    add(agg, event);
    counted?.inc({ type: event.type });
    await ctx.storage.set('aggregates', agg);
  },

  handleRequest(req: PluginRequest): PluginResponse {
    if (req.params.track_id === undefined) return { statusCode: 200, body: summary(agg, Math.min(50, Math.max(1, Number(req.query.top) || 5))) };
    const t = str(req.params.track_id) && agg.tracks[req.params.track_id];
    if (!t) return { statusCode: 404, body: { error: { code: 'TRACK_NOT_PLAYED', message: `no play of ${req.params.track_id} yet` } } };
    return { statusCode: 200, body: { track: req.params.track_id, plays: t.plays, listeners: t.listeners.length, last_played: t.last_played } };
  },
} satisfies HandlerPlugin;
