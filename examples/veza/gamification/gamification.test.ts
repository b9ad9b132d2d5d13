// gamification through a real host and gateway: domain events published on the host's bus (as
// another plugin, or another node over NATS, would) score points in ctx.storage; the leaderboard
// and the user pages are read over HTTP.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DomainEvent } from '../../../src/sdk/types.js';
import { http } from '../../../test/gateway/helpers.js';
import { serveVeza } from '../test-gateway.js';

test('track.played and nft.purchased events score points; the leaderboard ranks them; levels and badges follow', async (t) => {
  const gw = await serveVeza(['gamification']);
  t.after(() => gw.close());
  const levelUps: unknown[] = [];
  gw.host.events.on('gamification.level_up', (e: DomainEvent) => void levelUps.push(e.data));
  const played = (user: unknown, track = 't1') => gw.host.publish({ type: 'track.played', source: 'test', data: { user, track } });

  assert.deepEqual((await http(`${gw.url}/gamification/leaderboard`)).json, { leaderboard: [], players: 0 });
  // Published at once: each event is a read-modify-write of storage, and none may be lost.
  await Promise.all([
    played('bob'),
    played('bob', 't2'),
    played('bob', 't3'),
    played('ada'),
    gw.host.publish({ type: 'nft.purchased', source: 'test', data: { user: 'ada', listing_id: 'l1', price: 25 } }),
  ]);
  await Promise.all(Array.from({ length: 20 }, () => played('carol')));
  // Not scored: no user, a user id that would reach Object.prototype, a type the config gives no points.
  await Promise.all([played(undefined), played('__proto__'), played('constructor'), gw.host.publish({ type: 'nft.listed', source: 'test', data: { user: 'bob' } })]);

  const board = await http(`${gw.url}/gamification/leaderboard`);
  assert.equal(board.status, 200);
  assert.deepEqual(board.json, {
    leaderboard: [
      { rank: 1, user: 'carol', points: 200, level: 3 },
      { rank: 2, user: 'ada', points: 60, level: 1 },
      { rank: 3, user: 'bob', points: 30, level: 1 },
    ],
    players: 3,
  });
  assert.deepEqual(
    (await http(`${gw.url}/gamification/leaderboard?limit=1`)).json.leaderboard.map((r: { user: string }) => r.user),
    ['carol'],
  );

  const bob = await http(`${gw.url}/gamification/users/bob`);
  assert.deepEqual(bob.json, { user: 'bob', points: 30, level: 1, counts: { 'track.played': 3 }, badges: ['first-listen'] });
  const ada = (await http(`${gw.url}/gamification/users/ada`)).json;
  assert.deepEqual([ada.counts, ada.badges.sort()], [{ 'track.played': 1, 'nft.purchased': 1 }, ['collector', 'first-listen']]);
  assert.deepEqual((await http(`${gw.url}/gamification/users/carol`)).json.badges, ['first-listen', 'regular']);
  assert.deepEqual(levelUps, [
    { user: 'carol', level: 2 },
    { user: 'carol', level: 3 },
  ]);

  const nobody = await http(`${gw.url}/gamification/users/nobody`);
  assert.equal(nobody.status, 404);
  assert.equal(nobody.json.error.code, 'USER_NOT_FOUND');
  assert.equal((await http(`${gw.url}/gamification/users/__proto__`)).status, 404);
});
