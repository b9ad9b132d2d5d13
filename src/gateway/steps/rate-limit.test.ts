// The rate-limit step: only on limited routes; ratelimit-* headers on every answer, 429 with
// retry-after when the budget is spent, counted per route.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stepBench, echoPlugin, rl } from './step-bench.test-helper.js';

test('rate limit: headers, 429 PLW_ERR_RATE_LIMITED with retry-after, absent where no limit is declared', async (t) => {
  const b = await stepBench([
    {
      id: 'api',
      plugin: echoPlugin,
      manifest: {
        endpoints: [
          { path: '/l', method: 'GET', rateLimit: rl('2/min') },
          { path: '/free', method: 'GET' },
        ] as never,
      },
    },
  ]);
  t.after(() => b.close());
  assert.ok(b.stepsOf('GET', '/l').includes('rate-limit'));
  assert.ok(!b.stepsOf('GET', '/free').includes('rate-limit'));
  const first = await b.request('GET', '/l');
  assert.equal(first.status, 200);
  assert.equal(first.headers['ratelimit-limit'], 2);
  assert.equal(first.headers['ratelimit-remaining'], 1);
  await b.request('GET', '/l');
  const over = await b.request('GET', '/l');
  assert.equal(over.status, 429);
  assert.equal(over.body.error.code, 'PLW_ERR_RATE_LIMITED');
  assert.ok(Number(over.headers['retry-after']) >= 1);
  assert.equal(over.headers['ratelimit-remaining'], 0);
  const text = await b.core.metrics.registry.getSingleMetricAsString('plugway_rate_limited_total');
  assert.match(text, /plugway_rate_limited_total\{plugin="api",route="\/l"\} 1/);
});
