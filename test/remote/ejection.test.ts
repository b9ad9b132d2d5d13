// Failure handling against real upstreams: one killed under load is ejected and the requests it
// failed are retried within the budget; every upstream down is a 503 with a code, at once; an
// upstream slower than the endpoint's timeout is a 504; a health check takes a failing one out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { http } from '../gateway/helpers.js';
import { remoteManifest, serveRemote, startUpstream } from './helpers.js';

test('kill one upstream under load: it is ejected, no request started after that fails, and failures before it stay within the retry budget', async (t) => {
  const ups = await Promise.all(['a', 'b', 'c'].map((n) => startUpstream(n)));
  const retries = { attempts: 2, budgetPercent: 20, minConcurrency: 3 };
  const outlier = { consecutiveErrors: 3, baseEjectionMs: 60_000, maxEjectionMs: 60_000, maxEjectedPercent: 50 };
  const s = await serveRemote('kill', remoteManifest('kill', { upstreams: ups.map((u) => u.url), balance: 'round-robin', retries, outlier }));
  t.after(async () => {
    await s.close();
    for (const u of ups) await u.close();
  });
  let ejectedAt = 0;
  let ejected = '';
  s.host.events.on('runtime.upstream_ejected', (e) => {
    ejectedAt = performance.now();
    ejected = String((e.data as { upstream: string }).upstream);
  });
  const results: Array<{ start: number; status: number; code?: string }> = [];
  let done = 0;
  let killed = false;
  await Promise.all(
    Array.from({ length: 12 }, async () => {
      while (done < 900) {
        const start = performance.now();
        const r = await http(`${s.gw.url}/svc/x`);
        results.push({ start, status: r.status, code: r.json?.error?.code });
        done++;
        if (done >= 150 && !killed) {
          killed = true;
          await ups[1]!.kill();
        }
      }
    }),
  );
  assert.ok(ejectedAt > 0, 'the killed upstream was ejected');
  assert.equal(ejected, ups[1]!.url);
  const failed = results.filter((r) => r.status !== 200);
  const after = failed.filter((r) => r.start > ejectedAt);
  assert.deepEqual(after, [], 'nothing started after the ejection failed');
  const runtime = s.host.get('kill')!.runtime!;
  const snap = runtime.upstreams!();
  assert.equal(snap.find((u) => u.url === ups[1]!.url)!.state, 'ejected');
  // a failure reaches a client only when the budget refused its retry (or it had no attempts left)
  assert.ok(failed.length <= outlier.consecutiveErrors, `${failed.length} failed before the ejection: ${JSON.stringify(failed.slice(0, 5))}`);
  for (const f of failed) assert.equal(f.code, 'PLW_ERR_UPSTREAM_FAILED');
  const usage = (await runtime.resourceUsage()) as { retries: { granted: number; refused: number } };
  assert.ok(usage.retries.granted > 0, 'requests that met the dead upstream were retried on another');
  assert.ok(failed.length <= usage.retries.refused + outlier.consecutiveErrors, 'every failure is a refused retry');
  assert.ok(ups[0]!.hits + ups[2]!.hits > 700, 'the two live upstreams took the rest');
});

test('no retries configured: the failures before the ejection are at most consecutive_errors', async (t) => {
  const ups = await Promise.all(['a', 'b'].map((n) => startUpstream(n)));
  const s = await serveRemote(
    'noretry',
    remoteManifest('noretry', {
      upstreams: ups.map((u) => u.url),
      retries: { attempts: 0, budgetPercent: 0, minConcurrency: 0 },
      outlier: { consecutiveErrors: 2, baseEjectionMs: 60_000, maxEjectionMs: 60_000, maxEjectedPercent: 50 },
    }),
  );
  t.after(async () => {
    await s.close();
    for (const u of ups) await u.close();
  });
  await ups[0]!.kill();
  const statuses: number[] = [];
  for (let i = 0; i < 20; i++) statuses.push((await http(`${s.gw.url}/svc/x`)).status);
  assert.equal(statuses.filter((x) => x !== 200).length, 2, `statuses ${statuses.join(',')}`);
});

test('every upstream down: 503 PLW_ERR_UPSTREAM_UNAVAILABLE with Retry-After, at once (no hang)', async (t) => {
  const ups = await Promise.all(['a', 'b'].map((n) => startUpstream(n)));
  const s = await serveRemote(
    'down',
    remoteManifest('down', { upstreams: ups.map((u) => u.url), outlier: { consecutiveErrors: 1, baseEjectionMs: 30_000, maxEjectionMs: 30_000, maxEjectedPercent: 100 } }),
  );
  t.after(async () => {
    await s.close();
    for (const u of ups) await u.close();
  });
  for (const u of ups) await u.kill();
  // the first request finds both refusing (ejects them, retrying from one to the other); the next has nothing to pick
  const first = await http(`${s.gw.url}/svc/x`);
  assert.ok([502, 503].includes(first.status));
  assert.match(first.json.error.code, /^PLW_ERR_UPSTREAM_(FAILED|UNAVAILABLE)$/);
  const t0 = performance.now();
  const r = await http(`${s.gw.url}/svc/x`);
  assert.ok(performance.now() - t0 < 1000);
  assert.equal(r.status, 503);
  assert.equal(r.json.error.code, 'PLW_ERR_UPSTREAM_UNAVAILABLE');
  assert.ok(Number(r.headers.get('retry-after')) >= 1);
});

test('an endpoint timeout shorter than the upstream: 504 PLW_ERR_UPSTREAM_TIMEOUT; other endpoints keep the plugin timeout', async (t) => {
  const up = await startUpstream('slow', (req, res) => {
    setTimeout(() => res.end('late'), req.url?.startsWith('/fast') ? 10 : 400);
  });
  const s = await serveRemote(
    'to',
    remoteManifest(
      'to',
      { upstreams: [up.url], retries: { attempts: 0, budgetPercent: 0, minConcurrency: 0 } },
      {
        endpoints: [
          { path: '/slow', method: 'GET', timeoutMs: 100 },
          { path: '/fast', method: 'GET' },
        ],
      },
    ),
  );
  t.after(async () => {
    await s.close();
    await up.close();
  });
  const r = await http(`${s.gw.url}/slow`);
  assert.equal(r.status, 504);
  assert.equal(r.json.error.code, 'PLW_ERR_UPSTREAM_TIMEOUT');
  assert.equal((await http(`${s.gw.url}/fast`)).text, 'late');
});

test('active health checks: a failing upstream leaves the rotation and comes back', async (t) => {
  let sick = false;
  const service =
    (name: string): Parameters<typeof startUpstream>[1] =>
    (req, res, up) => {
      if (req.url === '/hc') {
        up.hits--;
        res.statusCode = name === 'b' && sick ? 500 : 200;
        res.end();
        return;
      }
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ upstream: name }));
    };
  const a = await startUpstream('a', service('a'));
  const b = await startUpstream('b', service('b'));
  const s = await serveRemote('hc', remoteManifest('hc', { upstreams: [a.url, b.url] }, { healthCheck: { endpoint: '/hc', intervalMs: 50, timeoutMs: 500 } }));
  t.after(async () => {
    await s.close();
    await a.close();
    await b.close();
  });
  const changed = (healthy: boolean) =>
    new Promise<void>((resolve) => {
      const off = s.host.events.on('runtime.upstream_health_changed', (e) => {
        if ((e.data as { healthy: boolean }).healthy === healthy) {
          off();
          resolve();
        }
      });
    });
  const down = changed(false);
  sick = true;
  await down;
  const before = b.hits;
  for (let i = 0; i < 10; i++) assert.equal((await http(`${s.gw.url}/svc/x`)).json.upstream, 'a');
  assert.equal(b.hits, before);
  const health = await s.host.checkHealth('hc');
  assert.equal(health.status, 'degraded');
  const up = changed(true);
  sick = false;
  await up;
  const seen = new Set<string>();
  for (let i = 0; i < 4; i++) seen.add((await http(`${s.gw.url}/svc/x`)).json.upstream);
  assert.deepEqual([...seen].sort(), ['a', 'b']);
});
