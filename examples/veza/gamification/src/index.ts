// gamification: points, levels, badges and a leaderboard in ctx.storage, scored from domain events.
// Every Veza event names who did it in `data.user`; the config says what each event type is worth.
// Events may arrive at once: they are scored one at a time, as each is a read-modify-write of storage.
import type { DomainEvent, HandlerPlugin, PluginContext, PluginRequest, PluginResponse } from 'plugway/sdk';

type Config = { points: Record<string, number>; points_per_level: number };
interface Player {
  user: string;
  points: number;
  level: number;
  /** Events scored, per type. */
  counts: Record<string, number>;
  badges: string[];
}

const BADGES: Array<[string, (p: Player) => boolean]> = [
  ['first-listen', (p) => (p.counts['track.played'] ?? 0) >= 1],
  ['regular', (p) => (p.counts['track.played'] ?? 0) >= 10],
  ['collector', (p) => (p.counts['nft.purchased'] ?? 0) >= 1],
];
/** A user id fit to be a key (`constructor` or `__proto__` would reach Object.prototype). */
const isUser = (v: unknown): v is string => typeof v === 'string' && /^[\w.@-]{1,64}$/.test(v) && !Object.hasOwn(Object.prototype, v);

let queue: Promise<unknown> = Promise.resolve();

async function score(event: DomainEvent, ctx: PluginContext<Config>): Promise<void> {
  const worth = Object.hasOwn(ctx.config.points, event.type) ? ctx.config.points[event.type]! : 0;
  const user = (event.data as { user?: unknown } | undefined)?.user;
  if (worth === 0 || !isUser(user)) return;
  const p = (await ctx.storage.get<Player>(`user:${user}`)) ?? { user, points: 0, level: 1, counts: {}, badges: [] };
  p.points += worth;
  p.counts[event.type] = (p.counts[event.type] ?? 0) + 1;
  const level = 1 + Math.floor(p.points / ctx.config.points_per_level);
  const badges = BADGES.filter(([id, earned]) => !p.badges.includes(id) && earned(p)).map(([id]) => id);
  p.badges.push(...badges);
  const before = p.level;
  p.level = level;
  await ctx.storage.set(`user:${user}`, p);
  const board = (await ctx.storage.get<Record<string, number>>('leaderboard')) ?? {};
  board[user] = p.points;
  await ctx.storage.set('leaderboard', board);
  if (level > before) await ctx.events.emit('gamification.level_up', { user, level });
  for (const badge of badges) await ctx.events.emit('gamification.badge_earned', { user, badge });
}

const notFound = (message: string): PluginResponse => ({ statusCode: 404, body: { error: { code: 'USER_NOT_FOUND', message } } });

export default {
  handleEvent(event: DomainEvent, ctx: PluginContext<Config>): Promise<void> {
    const run = queue.then(() => score(event, ctx));
    queue = run.catch(() => undefined); // the host logs a failed handleEvent; the next event still runs
    return run;
  },

  async handleRequest(req: PluginRequest, ctx: PluginContext<Config>): Promise<PluginResponse> {
    if (req.params.user_id !== undefined) {
      const p = isUser(req.params.user_id) ? await ctx.storage.get<Player>(`user:${req.params.user_id}`) : undefined;
      return p ? { statusCode: 200, body: p } : notFound(`${req.params.user_id} has no points yet`);
    }
    const limit = Math.min(100, Math.max(1, Number(req.query.limit) || 10));
    const board = (await ctx.storage.get<Record<string, number>>('leaderboard')) ?? {};
    const ranked = Object.entries(board)
      .sort(([a, x], [b, y]) => y - x || a.localeCompare(b))
      .slice(0, limit)
      .map(([user, points], i) => ({ rank: i + 1, user, points, level: 1 + Math.floor(points / ctx.config.points_per_level) }));
    return { statusCode: 200, body: { leaderboard: ranked, players: Object.keys(board).length } };
  },
} satisfies HandlerPlugin<Config>;
