// nft-marketplace: listings of track NFTs in ctx.storage. Who may do what is the manifest's job:
// the gateway answers 401 to a POST without a valid token and 403 to a listing by a caller without
// the role `seller` before this code runs. Here: checking the body, and selling each listing once.
import { randomUUID } from 'node:crypto';
import type { HandlerPlugin, PluginContext, PluginRequest, PluginResponse } from 'plugway/sdk';

type Config = { max_price: number };
interface Listing {
  id: string;
  track_id: string;
  title?: string;
  price: number;
  seller: string;
  status: 'listed' | 'sold';
  listed_at: string;
  buyer?: string;
  sold_at?: string;
}

const TRACK = /^[\w.-]{1,64}$/;
const fail = (statusCode: number, code: string, message: string): PluginResponse => ({ statusCode, body: { error: { code, message } } });

// Listing and buying are read-modify-writes of storage: one at a time, so a listing sells once.
let queue: Promise<unknown> = Promise.resolve();
function serial<T>(fn: () => Promise<T>): Promise<T> {
  const run = queue.then(fn);
  queue = run.catch(() => undefined);
  return run;
}

async function create(req: PluginRequest, ctx: PluginContext<Config>): Promise<PluginResponse> {
  const b = (req.body ?? {}) as Record<string, unknown>;
  if (typeof b.track_id !== 'string' || !TRACK.test(b.track_id)) return fail(400, 'BAD_LISTING', 'track_id: 1-64 of A-Z a-z 0-9 _ . -');
  if (typeof b.price !== 'number' || !(b.price > 0) || b.price > ctx.config.max_price) return fail(400, 'BAD_LISTING', `price: a number above 0, at most ${ctx.config.max_price}`);
  if (b.title !== undefined && (typeof b.title !== 'string' || b.title.length > 100)) return fail(400, 'BAD_LISTING', 'title: text of at most 100 characters');
  const listing: Listing = {
    id: randomUUID(),
    track_id: b.track_id,
    ...(b.title ? { title: b.title as string } : {}),
    price: b.price,
    seller: req.user!.id,
    status: 'listed',
    listed_at: new Date().toISOString(),
  };
  await serial(async () => {
    await ctx.storage.set(`listing:${listing.id}`, listing);
    const ids = (await ctx.storage.get<string[]>('listings')) ?? [];
    await ctx.storage.set('listings', [...ids, listing.id]);
  });
  await ctx.events.emit('nft.listed', { user: listing.seller, listing_id: listing.id, track_id: listing.track_id, price: listing.price });
  return { statusCode: 201, headers: { location: `/marketplace/listings/${listing.id}` }, body: listing };
}

async function purchase(id: string, buyer: string, ctx: PluginContext<Config>): Promise<PluginResponse> {
  const done = await serial(async () => {
    const l = await ctx.storage.get<Listing>(`listing:${id}`);
    if (!l) return fail(404, 'LISTING_NOT_FOUND', `no listing ${id}`);
    if (l.status === 'sold') return fail(409, 'LISTING_SOLD', `listing ${id} was sold to ${l.buyer === buyer ? 'you' : 'someone else'}`);
    if (l.seller === buyer) return fail(409, 'OWN_LISTING', 'you cannot buy your own listing');
    const sold: Listing = { ...l, status: 'sold', buyer, sold_at: new Date().toISOString() };
    await ctx.storage.set(`listing:${id}`, sold);
    return sold;
  });
  if ('statusCode' in done) return done;
  await ctx.events.emit('nft.purchased', { user: buyer, seller: done.seller, listing_id: id, track_id: done.track_id, price: done.price });
  return { statusCode: 200, body: done };
}

export default {
  async handleRequest(req: PluginRequest, ctx: PluginContext<Config>): Promise<PluginResponse> {
    const id = req.params.listing_id;
    if (id === undefined) {
      if (req.method === 'POST') return create(req, ctx);
      const ids = (await ctx.storage.get<string[]>('listings')) ?? [];
      const all = await Promise.all(ids.map((i) => ctx.storage.get<Listing>(`listing:${i}`)));
      const listings = all.filter((l): l is Listing => l !== undefined && (req.query.all === '1' || l.status === 'listed'));
      return { statusCode: 200, body: { listings, count: listings.length } };
    }
    if (req.method === 'POST') return purchase(id, req.user!.id, ctx);
    const l = await ctx.storage.get<Listing>(`listing:${id}`);
    return l ? { statusCode: 200, body: l } : fail(404, 'LISTING_NOT_FOUND', `no listing ${id}`);
  },
} satisfies HandlerPlugin<Config>;
