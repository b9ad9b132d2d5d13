// examples/veza/README.md's tour, run for real: `plugway serve --config examples/veza/plugway.yaml`
// as its first block writes it (on a free port, with a temp state dir), then every line of the second
// block in one shell session (variables kept between lines), each line's output checked. It reaches
// each of the five plugins, through the real CLI on the example's own config.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { blocksOf, commandLines, isShell, ROOT } from '../../test/docs/blocks.js';
import { asJson, genericChecks } from '../../test/docs/line-checks.js';
import { ShellSession, type LineResult } from '../../test/docs/shell.js';

const FILE = 'examples/veza/README.md';
const json = (r: LineResult, status: number) => {
  const m = /^([\s\S]*) (\d{3})\n$/.exec(r.stdout);
  assert.ok(m, `body then status: ${r.stdout}`);
  assert.equal(Number(m[2]), status, r.stdout);
  return JSON.parse(m[1]!);
};

/** What each line of the tour must show, beyond its exit status and the output its comments document. */
const CHECKS: Record<string, (r: LineResult, s: ShellSession) => void> = {
  'curl -s -X POST http://127.0.0.1:8080/recommendations/users/bob/activity -H \'content-type: application/json\' -d \'{"track":"t4"}\'': (r) =>
    assert.deepEqual(asJson(r), { user: 'bob', recorded: 't4' }),
  'SELLER=$(node examples/veza/token.mjs alice seller)': (_r, s) => assert.match(s.env.SELLER ?? '', /^ey[\w-]+\.[\w-]+\.[\w-]+\n?$/),
  'BUYER=$(node examples/veza/token.mjs bob)': (_r, s) => assert.match(s.env.BUYER ?? '', /^ey[\w-]+\.[\w-]+\.[\w-]+\n?$/),
  [`curl -s -w ' %{http_code}\\n' -X POST http://127.0.0.1:8080/marketplace/listings -H "authorization: Bearer $BUYER" -H 'content-type: application/json' -d '{"track_id":"t2","price":25}'`]: (r) =>
    assert.equal(json(r, 403).error.code, 'PLW_ERR_FORBIDDEN'),
  [`LISTING=$(curl -s -X POST http://127.0.0.1:8080/marketplace/listings -H "authorization: Bearer $SELLER" -H 'content-type: application/json' -d '{"track_id":"t2","price":25}' | jq -r .id)`]: (
    _r,
    s,
  ) => assert.match(s.env.LISTING ?? '', /^[0-9a-f-]{36}$/),
  'curl -s http://127.0.0.1:8080/marketplace/listings': (r, s) =>
    assert.deepEqual(
      asJson(r).listings.map((l: { id: string; seller: string }) => [l.id, l.seller]),
      [[s.env.LISTING, 'alice']],
    ),
  "curl -s -w ' %{http_code}\\n' -X POST http://127.0.0.1:8080/marketplace/listings/$LISTING/purchase": (r) => assert.equal(json(r, 401).error.code, 'PLW_ERR_UNAUTHENTICATED'),
  [`curl -s -w ' %{http_code}\\n' -X POST http://127.0.0.1:8080/marketplace/listings/$LISTING/purchase -H "authorization: Bearer $BUYER"`]: (r) => {
    const sold = json(r, 200);
    assert.deepEqual([sold.status, sold.buyer, sold.seller], ['sold', 'bob', 'alice']);
  },
  'curl -s http://127.0.0.1:8080/gamification/users/bob': (r) =>
    assert.deepEqual(asJson(r), { user: 'bob', points: 70, level: 1, counts: { 'track.played': 2, 'nft.purchased': 1 }, badges: ['first-listen', 'collector'] }),
  'node examples/veza/collab-demo.mjs ws://127.0.0.1:8080/collab/docs/demo/live': (r) => {
    const saw = [...r.stdout.matchAll(/^(\w+) saw (.*); has version (\d+):\n((?: {2}.*\n)+)/gm)].map((m) => [m[1], m[2], m[3], m[4]]);
    const both = "ada's insert (version 1), grace's insert (version 2)";
    const text = '  Ada: the chorus needs a bridge.\n  Grace: adding strings under it.\n';
    assert.deepEqual(saw, [
      ['ada', both, '2', text],
      ['grace', both, '2', text],
    ]);
  },
  // (who is still in the room depends on whether the gateway has handled the demo's closes yet)
  'curl -s http://127.0.0.1:8080/collab/docs/demo': (r) =>
    assert.deepEqual({ ...asJson(r), users: [] }, { doc: 'demo', text: 'Ada: the chorus needs a bridge.\nGrace: adding strings under it.', version: 2, users: [] }),
  'curl -s http://127.0.0.1:8080/analytics/summary': (r) => {
    const a = asJson(r);
    assert.deepEqual(a.by_type, { 'track.played': 2, 'gamification.badge_earned': 2, 'nft.listed': 1, 'nft.purchased': 1 });
    assert.deepEqual(
      [a.active_users, a.plays, a.top_tracks, a.sales],
      [
        2,
        2,
        [
          { track: 't2', plays: 1, listeners: 1 },
          { track: 't4', plays: 1, listeners: 1 },
        ],
        { count: 1, volume: 25 },
      ],
    );
  },
};

test('examples/veza/README.md: the tour runs as written against plugway serve --config examples/veza/plugway.yaml', { timeout: 180_000 }, async (t) => {
  execFileSync(process.execPath, ['scripts/build-examples.mjs', '--if-needed'], { cwd: ROOT, stdio: 'ignore' });
  const blocks = blocksOf(FILE).filter(isShell).map(commandLines);
  assert.equal(blocks.length, 2, 'a block that serves, a block of the tour');
  const [[serve], tour] = blocks as [(typeof blocks)[0], (typeof blocks)[0]];
  const s = new ShellSession('veza');
  t.after(() => s.close());
  s.cwd = ROOT; // the tour runs from the repository root
  s.paths.set('/tmp/plugway-veza', join(s.dir, 'state'));

  const started = await s.run(serve!);
  for (const id of ['ai-recommendations', 'live-collaboration', 'gamification', 'advanced-analytics', 'nft-marketplace', 'jwt-auth']) {
    assert.match(started.stdout, new RegExp(`^ {4}${id}\\s+1\\.0\\.0\\s+\\w+\\s+(wasm|inprocess)\\s+running`, 'm'), `${id} runs:\n${started.stdout}\n${started.stderr}`);
  }
  const unchecked = new Set(Object.keys(CHECKS));
  for (const line of tour) {
    await t.test(`${FILE}:${line.line} ${line.command}`, async () => {
      const r = await s.run(line);
      genericChecks(line, r, {});
      CHECKS[line.command]?.(r, s);
      unchecked.delete(line.command);
    });
  }
  assert.deepEqual([...unchecked], [], 'every check names a line the tour has');
  const metrics = await (await fetch(`http://127.0.0.1:${s.ports.get(8080)}/metrics`)).text();
  assert.match(metrics, /^veza_analytics_events_total\{type="track.played"\} 2$/m);
});
