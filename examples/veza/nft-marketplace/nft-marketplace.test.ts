// nft-marketplace through a real host and gateway with the built-in jwt-auth, as plugway.yaml
// configures it: only role `seller` lists (201, else 403), buying needs a token (401 without), a
// listing sells once even to two buyers at the same instant, and the sales are domain events.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SignJWT } from 'jose';
import type { DomainEvent } from '../../../src/sdk/types.js';
import { http } from '../../../test/gateway/helpers.js';
import { bearer, serveVeza } from '../test-gateway.js';

test('a seller lists (201), a buyer cannot (403); buying needs a token (401) and sells a listing once', async (t) => {
  const gw = await serveVeza(['nft-marketplace']);
  t.after(() => gw.close());
  const events: DomainEvent[] = [];
  gw.host.events.on('nft.*', (e: DomainEvent) => void events.push(e));
  const [alice, bob, carol] = [await bearer('alice', 'seller'), await bearer('bob', 'listener'), await bearer('carol')];
  const list = (headers: Record<string, string>, json: unknown = { track_id: 't2', title: 'Night Drive', price: 25 }) => http(`${gw.url}/marketplace/listings`, { method: 'POST', headers, json });
  const buy = (id: string, headers: Record<string, string> = {}) => http(`${gw.url}/marketplace/listings/${id}/purchase`, { method: 'POST', headers });

  const listed = await list(alice);
  assert.equal(listed.status, 201, listed.text);
  const listing = listed.json;
  assert.deepEqual(
    { ...listing, id: typeof listing.id, listed_at: typeof listing.listed_at },
    { id: 'string', track_id: 't2', title: 'Night Drive', price: 25, seller: 'alice', status: 'listed', listed_at: 'string' },
  );
  assert.equal(listed.headers.get('location'), `/marketplace/listings/${listing.id}`);

  const refused = await list(bob);
  assert.deepEqual([refused.status, refused.json.error.code], [403, 'PLW_ERR_FORBIDDEN']);
  assert.equal((await list({})).status, 401);
  const forged = await new SignJWT({ roles: ['seller'] }).setProtectedHeader({ alg: 'HS256' }).setSubject('mallory').sign(new TextEncoder().encode('not-the-secret-of-this-gateway-at-all'));
  assert.equal((await list({ authorization: `Bearer ${forged}` })).status, 401, 'a token signed with another secret');
  for (const bad of [{ track_id: 't2' }, { track_id: 't2', price: -1 }, { track_id: '../x', price: 1 }, { track_id: 't2', price: 1, title: 7 }]) {
    const r = await list(alice, bad);
    assert.deepEqual([r.status, r.json.error.code], [400, 'BAD_LISTING'], JSON.stringify(bad));
  }

  // Anyone browses.
  const browse = await http(`${gw.url}/marketplace/listings`);
  assert.deepEqual([browse.status, browse.json.count, browse.json.listings[0].id], [200, 1, listing.id]);
  assert.deepEqual((await http(`${gw.url}/marketplace/listings/${listing.id}`)).json, listing);

  const anonymous = await buy(listing.id);
  assert.deepEqual([anonymous.status, anonymous.json.error.code], [401, 'PLW_ERR_UNAUTHENTICATED']);
  const own = await buy(listing.id, alice);
  assert.deepEqual([own.status, own.json.error.code], [409, 'OWN_LISTING']);
  const bought = await buy(listing.id, bob);
  assert.equal(bought.status, 200, bought.text);
  assert.deepEqual([bought.json.status, bought.json.buyer], ['sold', 'bob']);
  const again = await buy(listing.id, carol);
  assert.deepEqual([again.status, again.json.error.code], [409, 'LISTING_SOLD']);
  assert.equal((await buy('no-such-listing', carol)).status, 404);

  // Two buyers at once: one gets it.
  const second = (await list(alice, { track_id: 't3', price: 40 })).json;
  const race = await Promise.all([buy(second.id, bob), buy(second.id, carol)]);
  assert.deepEqual(race.map((r) => r.status).sort(), [200, 409]);
  assert.deepEqual((await http(`${gw.url}/marketplace/listings`)).json, { listings: [], count: 0 });
  assert.equal((await http(`${gw.url}/marketplace/listings?all=1`)).json.count, 2);

  const winner = race.find((r) => r.status === 200)!.json.buyer;
  assert.deepEqual(
    events.map((e) => [e.type, e.source, (e.data as { user: string }).user]),
    [
      ['nft.listed', 'nft-marketplace', 'alice'],
      ['nft.purchased', 'nft-marketplace', 'bob'],
      ['nft.listed', 'nft-marketplace', 'alice'],
      ['nft.purchased', 'nft-marketplace', winner],
    ],
  );
  assert.deepEqual(events[1]!.data, { user: 'bob', seller: 'alice', listing_id: listing.id, track_id: 't2', price: 25 });
});
