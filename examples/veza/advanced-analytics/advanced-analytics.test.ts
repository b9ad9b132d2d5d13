// advanced-analytics through a real host and gateway: domain events published on the host's bus
// become aggregates served over HTTP and a counter on /metrics, and outlive a restart of the plugin.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { http } from '../../../test/gateway/helpers.js';
import { serveVeza } from '../test-gateway.js';

test('events become aggregates: counts per type, active users, top tracks, plays per hour, sales; kept across a restart', async (t) => {
  const gw = await serveVeza(['advanced-analytics']);
  t.after(() => gw.close());
  const publish = (type: string, data: Record<string, unknown>, time = '2026-03-01T10:15:00.000Z') => gw.host.publish({ type, source: 'test', data, time });

  await Promise.all([
    publish('track.played', { user: 'bob', track: 't2' }),
    publish('track.played', { user: 'ada', track: 't2' }, '2026-03-01T11:05:00.000Z'),
    publish('track.played', { user: 'bob', track: 't2' }, '2026-03-01T11:45:00.000Z'),
    publish('track.played', { user: 'bob', track: 't1' }, '2026-03-01T11:50:00.000Z'),
    publish('nft.listed', { user: 'alice', listing_id: 'l1', track_id: 't2', price: 25 }),
    publish('nft.purchased', { user: 'bob', seller: 'alice', listing_id: 'l1', price: 25 }),
    publish('nft.purchased', { user: 'ada', seller: 'alice', listing_id: 'l2', price: 12.5 }),
    // Counted as an event, but neither a user nor a track: ids that would reach Object.prototype.
    publish('track.played', { user: '__proto__', track: 'constructor' }),
  ]);
  // The host's own events never reach handleEvent; a plugin's event with a reserved type cannot be emitted.
  await gw.host.publish({ type: 'plugin.state_changed', source: 'plugway', data: {} });

  const summary = await http(`${gw.url}/analytics/summary`);
  assert.equal(summary.status, 200);
  const { since, ...rest } = summary.json;
  assert.ok(!Number.isNaN(Date.parse(since)));
  assert.deepEqual(rest, {
    events_total: 8,
    by_type: { 'track.played': 5, 'nft.listed': 1, 'nft.purchased': 2 },
    active_users: 3,
    plays: 5,
    top_tracks: [
      { track: 't2', plays: 3, listeners: 2 },
      { track: 't1', plays: 1, listeners: 1 },
    ],
    plays_per_hour: [
      { hour: '2026-03-01T10', plays: 1 },
      { hour: '2026-03-01T11', plays: 3 },
    ],
    sales: { count: 2, volume: 37.5 },
  });
  assert.deepEqual((await http(`${gw.url}/analytics/summary?top=1`)).json.top_tracks, [{ track: 't2', plays: 3, listeners: 2 }]);
  assert.deepEqual((await http(`${gw.url}/analytics/tracks/t2`)).json, { track: 't2', plays: 3, listeners: 2, last_played: '2026-03-01T11:45:00.000Z' });
  const unplayed = await http(`${gw.url}/analytics/tracks/t9`);
  assert.deepEqual([unplayed.status, unplayed.json.error.code], [404, 'TRACK_NOT_PLAYED']);
  assert.equal((await http(`${gw.url}/analytics/tracks/constructor`)).status, 404);

  const metrics = (await http(`${gw.url}/metrics`)).text;
  assert.match(metrics, /^veza_analytics_events_total\{type="track.played"\} 5$/m);
  assert.match(metrics, /^veza_analytics_events_total\{type="nft.purchased"\} 2$/m);

  // Stopped and started again, the plugin reads its aggregates back from ctx.storage.
  await gw.host.disable('advanced-analytics');
  await gw.host.enable('advanced-analytics');
  await publish('track.played', { user: 'cy', track: 't3' });
  const after = (await http(`${gw.url}/analytics/summary`)).json;
  assert.deepEqual([after.events_total, after.active_users, after.since], [9, 4, since]);
});
