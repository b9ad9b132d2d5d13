// Budgets per key: refused before the call once spent (429 PLW_ERR_LLM_BUDGET_EXCEEDED with
// Retry-After at the period's end), charged after it with the real usage. In Redis, two gateway
// processes (the real `plugway serve`) share one budget: under 50 concurrent clients the overspend
// is at most what the requests in flight when it ran out cost. Also the exact-match cache.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { stringify } from 'yaml';
import { serviceSkip } from '../helpers/services.js';
import { PLUGWAY_BIN } from '../helpers/cli.js';
import { chatBody, hookRecorder, pluginsDir, postJson, startLlmGateway, startMockProvider } from './helpers.js';

test('a token budget per key: charged with the real usage, refused once spent, keys apart', async (t) => {
  const mock = await startMockProvider({ name: 'p' });
  const rec = hookRecorder();
  const gw = await startLlmGateway(
    {
      providers: [{ name: 'p', type: 'openai-compatible', base_url: `${mock.url}/v1`, models: ['gpt-4o-mini'] }],
      keys: [
        { key: 'sk-alice', user: 'alice' },
        { key: 'sk-bob', budget: { tokens: 1000, period: '1h' } },
      ],
      budget: { tokens: 60, period: '1d' },
    },
    { builtins: [rec.builtin] },
  );
  t.after(async () => {
    await gw.close();
    await mock.close();
  });
  const as = (key: string) => ({ authorization: `Bearer ${key}` });
  const none = await postJson(`${gw.url}/v1/chat/completions`, chatBody());
  assert.equal(none.status, 401);
  assert.equal(none.json.error.code, 'PLW_ERR_LLM_UNAUTHENTICATED');
  // 27 tokens a request: 27, 54 pass (54 < 60), the third is admitted (54 < 60) and overspends to 81, the fourth is refused.
  const codes: number[] = [];
  for (let i = 0; i < 4; i++) codes.push((await postJson(`${gw.url}/v1/chat/completions`, chatBody(), as('sk-alice'))).status);
  assert.deepEqual(codes, [200, 200, 200, 429]);
  const refused = await postJson(`${gw.url}/v1/chat/completions`, chatBody(), as('sk-alice'));
  assert.equal(refused.status, 429);
  assert.equal(refused.json.error.code, 'PLW_ERR_LLM_BUDGET_EXCEEDED');
  const retryAfter = Number(refused.headers.get('retry-after'));
  const endOfDay = Math.ceil((Math.ceil(Date.now() / 86_400_000) * 86_400_000 - Date.now()) / 1000);
  assert.ok(Math.abs(retryAfter - endOfDay) <= 2, `Retry-After ${retryAfter} is the period's end (${endOfDay})`);
  assert.equal(mock.stats.chat, 3, 'a refused request never reaches a provider');
  assert.equal(rec.seen.on_error.at(-1).errorType, 'budget_exceeded');
  assert.equal(rec.seen.on_response[0].userId, 'alice');
  // Bob's key has its own budget.
  assert.equal((await postJson(`${gw.url}/v1/chat/completions`, chatBody(), as('sk-bob'))).status, 200);
});

test('a cost budget counts streamed answers at their real price', async (t) => {
  const mock = await startMockProvider({ name: 'p' });
  const gw = await startLlmGateway({
    providers: [{ name: 'p', type: 'openai-compatible', base_url: `${mock.url}/v1`, models: ['gpt-4o-mini'], price: { input: 1, output: 1 } }],
    budget: { cost: 0.05, period: '1h' },
  });
  t.after(async () => {
    await gw.close();
    await mock.close();
  });
  // 27 tokens at $1/1k = $0.027: the second stream is admitted (0.027 < 0.05), the third refused.
  const statuses: number[] = [];
  for (let i = 0; i < 3; i++) {
    const r = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer k' },
      body: JSON.stringify(chatBody({ stream: true })),
    });
    await r.text();
    statuses.push(r.status);
  }
  assert.deepEqual(statuses, [200, 200, 429]);
});

test('the exact-match cache answers a repeated temperature-0 request without the provider', async (t) => {
  const mock = await startMockProvider({ name: 'p' });
  const gw = await startLlmGateway({
    providers: [{ name: 'p', type: 'openai-compatible', base_url: `${mock.url}/v1`, models: ['gpt-4o-mini'] }],
    cache: { enabled: true, ttl: '1m' },
  });
  t.after(async () => {
    await gw.close();
    await mock.close();
  });
  const a = await postJson(`${gw.url}/v1/chat/completions`, chatBody({ temperature: 0 }));
  const b = await postJson(`${gw.url}/v1/chat/completions`, chatBody({ temperature: 0 }));
  assert.deepEqual(b.json, a.json);
  assert.equal(b.headers.get('x-plugway-cache'), 'hit');
  assert.equal(mock.stats.chat, 1);
  await postJson(`${gw.url}/v1/chat/completions`, chatBody({ temperature: 0.7 }));
  await postJson(`${gw.url}/v1/chat/completions`, chatBody({ temperature: 0.7 }));
  assert.equal(mock.stats.chat, 3, 'only temperature 0 is cached');
});

test('the cache in Redis: a second gateway answers from what the first stored', { skip: await serviceSkip('redis') }, async (t) => {
  const mock = await startMockProvider({ name: 'p' });
  const prefix = `plw:test:llm:${randomUUID()}:`;
  const config = {
    providers: [{ name: 'p', type: 'openai-compatible', base_url: `${mock.url}/v1`, models: ['gpt-4o-mini'] }],
    cache: { enabled: true, ttl: '1m', store: 'redis', key_prefix: prefix },
  };
  const a = await startLlmGateway(config);
  const b = await startLlmGateway(config);
  const redis = new Redis('redis://127.0.0.1:6379');
  t.after(async () => {
    await a.close();
    await b.close();
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
    await mock.close();
  });
  const first = await postJson(`${a.url}/v1/chat/completions`, chatBody({ temperature: 0 }));
  const second = await postJson(`${b.url}/v1/chat/completions`, chatBody({ temperature: 0 }));
  assert.equal(second.headers.get('x-plugway-cache'), 'hit');
  assert.deepEqual(second.json, first.json);
  assert.equal(mock.stats.chat, 1);
  assert.ok((await redis.pttl((await redis.keys(`${prefix}cache:*`))[0]!)) > 50_000, 'stored with its TTL');
});

/** `plugway serve` on a free port with this plugway.yaml; resolves with its URL. */
async function serve(dir: string, name: string, yaml: unknown): Promise<{ url: string; child: ChildProcess }> {
  const file = join(dir, `${name}.yaml`);
  await mkdir(join(dir, name), { recursive: true });
  await writeFile(file, stringify(yaml));
  const child = spawn(process.execPath, [PLUGWAY_BIN, 'serve', '--config', file, '--port', '0', '--state-dir', join(dir, name)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`plugway serve exited with ${code}: ${err}${out}`)));
  });
  return { url, child };
}

test('Redis budget shared by two gateway processes: 50 concurrent clients overspend by at most the requests in flight', { skip: await serviceSkip('redis') }, async (t) => {
  const mock = await startMockProvider({ name: 'p', latency: 5 });
  const prefix = `plw:test:llm:${randomUUID()}:`;
  const dir = await mkdtemp(join(tmpdir(), 'plugway-llm-budget-'));
  const plugins = await pluginsDir();
  const LIMIT = 2000;
  const yaml = {
    plugins: {
      directories: [plugins],
      configs: {
        'llm-gateway': {
          config: {
            providers: [{ name: 'p', type: 'openai-compatible', base_url: `${mock.url}/v1`, models: ['gpt-4o-mini'] }],
            budget: { tokens: LIMIT, period: '1d' },
            budget_store: { type: 'redis', redis_url: 'redis://127.0.0.1:6379', key_prefix: prefix },
          },
        },
      },
    },
    gateway: { admin: { enabled: false } },
    logging: { level: 'warn' },
  };
  const a = await serve(dir, 'a', yaml);
  const b = await serve(dir, 'b', yaml);
  const redis = new Redis('redis://127.0.0.1:6379');
  t.after(async () => {
    a.child.kill('SIGTERM');
    b.child.kill('SIGTERM');
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
    await mock.close();
  });
  const urls = [a.url, b.url];
  const COST = 27; // tokens of one request (the mock's answer)
  let inFlight = 0;
  let maxInFlight = 0;
  let ok = 0;
  let refused = 0;
  let refusedThenOk = 0;
  // 50 clients, each sending until refused, alternating gateways: 2000 tokens is ~74 requests, 200+ are tried.
  await Promise.all(
    Array.from({ length: 50 }, async (_, client) => {
      let wasRefused = false;
      for (let i = 0; i < 6; i++) {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        const r = await postJson(`${urls[(client + i) % 2]}/v1/chat/completions`, chatBody(), { authorization: 'Bearer sk-shared' });
        inFlight--;
        if (r.status === 200) {
          ok++;
          if (wasRefused) refusedThenOk++;
        } else {
          assert.equal(r.status, 429, r.text);
          assert.equal(r.json.error.code, 'PLW_ERR_LLM_BUDGET_EXCEEDED');
          refused++;
          wasRefused = true;
        }
      }
    }),
  );
  const keys = await redis.keys(`${prefix}budget:*`);
  assert.equal(keys.length, 1, 'one budget, shared by both gateways');
  const spent = Number(await redis.hget(keys[0]!, 'tokens'));
  assert.equal(spent, ok * COST, 'every answered request was charged its real usage, once');
  assert.ok(spent >= LIMIT, `the budget was used up (${spent})`);
  // Admitted while under the limit: overspend is bounded by the requests in flight at that moment.
  assert.ok(spent - LIMIT <= maxInFlight * COST, `overspend ${spent - LIMIT} tokens > ${maxInFlight} in flight × ${COST}`);
  assert.ok(spent < 300 * COST, 'far below what 300 unchecked requests would have cost');
  assert.ok(refused > 100, `${refused} refused`);
  assert.equal(refusedThenOk, 0, 'once spent, nobody gets through again in this period');
  assert.equal(mock.stats.chat, ok, 'refused requests never reached the provider');
  assert.equal(maxInFlight, 50);
});
