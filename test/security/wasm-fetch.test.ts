// Item 1 of issue 23: a wasm plugin's granted HTTP fetch is read as a stream and aborted at
// runtimes.fetch.max_response_bytes (the download stops: the server sees its socket closed), the
// failure is coded and counted against the plugin; and the operator's runtimes.fetch.allowed_hosts
// caps what a manifest's permissions.network (even "*") grants.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createWasmRuntime } from '../../src/runtimes/wasm/index.js';
import { DEFAULT_FETCH_POLICY } from '../../src/runtimes/fetch-policy.js';
import type { PluginManifest } from '../../src/manifest/types.js';
import { harness, manifest } from '../runtimes/helpers.js';
import { buildWasm } from './wasm-fixtures.js';
import { request } from './neighbour.js';
import { waitFor } from '../helpers/wait.js';

const MiB = 1024 * 1024;

function fetcherManifest(network: string[]): PluginManifest {
  return manifest({
    id: 'fetcher-wasm',
    runtime: { type: 'wasm', instances: 1 },
    permissions: { network, env: [], fs: [] },
    endpoints: [{ path: '/fetch', method: 'POST', auth: 'none', roles: [], permissions: [], function: 'fetch' }],
  });
}

/** A server streaming 1 MiB chunks up to `totalMb`, counting what it managed to write. */
async function streamingServer(totalMb: number) {
  const stats = { written: 0, requests: 0, closedEarly: 0 };
  const chunk = Buffer.alloc(MiB, 120);
  const server = createServer((req, res) => {
    stats.requests++;
    // Only the streams count: the small answer's own 'close' is not an abort.
    if (req.url === '/small') return void res.end('small answer');
    let sent = 0;
    res.on('close', () => {
      if (sent < totalMb) stats.closedEarly++;
    });
    const pump = () => {
      while (sent < totalMb) {
        sent++;
        stats.written += MiB;
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
      res.end();
    };
    pump();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port, stats };
}

test('a streamed response is aborted at max_response_bytes and counted against the plugin', async (t) => {
  const src = await streamingServer(400);
  t.after(() => src.server.close());
  const h = harness(fetcherManifest([`127.0.0.1:${src.port}`]), await buildWasm('fetcher'), {}, { fetchPolicy: { ...DEFAULT_FETCH_POLICY, maxResponseBytes: 2 * MiB } });
  const rt = createWasmRuntime(h.init, { backoffBaseMs: 20, backoffMaxMs: 200, giveBackGraceMs: 100 });
  await rt.load();
  t.after(() => rt.dispose());

  const small = await rt.call<{ body: string }>('handleRequest', [request('/fetch', { body: { url: `http://127.0.0.1:${src.port}/small` } })]);
  assert.equal(small.body, 'small answer');

  const rss0 = process.memoryUsage().rss;
  const results = await Promise.allSettled(
    [0, 1].map(() => rt.call('handleRequest', [request('/fetch', { body: { url: `http://127.0.0.1:${src.port}/stream` } })], { deadline: Date.now() + 20_000 })),
  );
  for (const r of results) {
    assert.equal(r.status, 'rejected');
    assert.equal((r as PromiseRejectedResult).reason.code, 'PLW_ERR_FETCH_TOO_LARGE', String((r as PromiseRejectedResult).reason));
  }
  const ev = await h.nextEvent('runtime.fetch_too_large');
  assert.equal(ev.data.limit, 2 * MiB);
  // The downloads stopped: the server's sockets were closed long before its 400 MiB, and memory stayed flat.
  await waitFor(() => src.stats.closedEarly >= 2, { timeoutMs: 15_000, what: 'both downloads to be aborted' });
  assert.equal(src.stats.closedEarly, 2, 'both downloads were aborted');
  assert.ok(src.stats.written < 100 * MiB, `server wrote ${Math.round(src.stats.written / MiB)} MiB`);
  const grew = (process.memoryUsage().rss - rss0) / MiB;
  // Buffered whole, the two streams took 800 MiB; streamed and aborted, a few MiB (the rest is the noise of a loaded machine).
  assert.ok(grew < 250, `RSS grew by ${Math.round(grew)} MiB`);
});

test('runtimes.fetch.allowed_hosts caps a manifest\'s permissions.network, even "*"', async (t) => {
  const ok = await streamingServer(0);
  const other = await streamingServer(0);
  t.after(() => {
    ok.server.close();
    other.server.close();
  });
  const h = harness(fetcherManifest(['*']), await buildWasm('fetcher'), {}, { fetchPolicy: { ...DEFAULT_FETCH_POLICY, allowedHosts: [`127.0.0.1:${ok.port}`] } });
  const rt = createWasmRuntime(h.init, { backoffBaseMs: 20, backoffMaxMs: 200, giveBackGraceMs: 100 });
  await rt.load();
  t.after(() => rt.dispose());
  const fine = await rt.call<{ body: string }>('handleRequest', [request('/fetch', { body: { url: `http://127.0.0.1:${ok.port}/small` } })]);
  assert.equal(fine.body, 'small answer');
  await assert.rejects(
    rt.call('handleRequest', [request('/fetch', { body: { url: `http://127.0.0.1:${other.port}/small` } })]),
    (e: Error & { code: string }) => e.code === 'PLW_ERR_FETCH_HOST_NOT_ALLOWED' && e.message.includes('allowed_hosts'),
  );
  assert.equal(other.stats.requests, 0, 'the refused host was never contacted');
});
