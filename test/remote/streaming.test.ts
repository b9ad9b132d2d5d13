// Streaming through the proxy in both directions: a 200 MB download and a 200 MB upload go
// through with the process's RSS growing by less than 50 MB (nothing is buffered whole).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { Readable } from 'node:stream';
import { remoteManifest, serveRemote, startUpstream } from './helpers.js';

const TOTAL = 200 * 1024 * 1024;
const CHUNK = Buffer.alloc(64 * 1024, 7);

/** Peak RSS growth over the baseline while `run` runs, sampled every 20 ms. */
async function peakRssGrowth<T>(run: () => Promise<T>): Promise<{ result: T; growthMb: number }> {
  (globalThis as { gc?: () => void }).gc?.();
  const base = process.memoryUsage.rss();
  let peak = base;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 20);
  try {
    const result = await run();
    peak = Math.max(peak, process.memoryUsage.rss());
    return { result, growthMb: (peak - base) / 1048576 };
  } finally {
    clearInterval(timer);
  }
}

const WARM = 20 * 1024 * 1024;

/** POSTs `total` bytes with backpressure (node's client: fetch would need duplex streams). */
function upload(target: string, total: number): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const url = new URL(target);
    const req = request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { 'content-type': 'application/octet-stream', 'content-length': String(total) } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
    Readable.from(chunks(total)).pipe(req);
  });
}

function* chunks(total: number): Generator<Buffer> {
  for (let sent = 0; sent < total; sent += CHUNK.length) yield CHUNK;
}

test('a 200 MB download and a 200 MB upload stream through with RSS growth under 50 MB', async (t) => {
  const up = await startUpstream('big', (req, res) => {
    if (req.method === 'GET') {
      const size = req.url?.includes('warm') ? WARM : TOTAL;
      res.setHeader('content-type', 'application/octet-stream');
      res.setHeader('content-length', String(size));
      Readable.from(chunks(size)).pipe(res);
      return;
    }
    let n = 0;
    req.on('data', (c: Buffer) => (n += c.length));
    req.on('end', () => res.end(JSON.stringify({ received: n })));
  });
  const s = await serveRemote(
    'big',
    remoteManifest(
      'big',
      { upstreams: [up.url] },
      {
        endpoints: [
          { path: '/file', method: 'GET' },
          { path: '/file', method: 'POST' },
        ],
      },
    ),
  );
  t.after(async () => {
    await s.close();
    await up.close();
  });
  // Warm up with 20 MB each way: the first transfer in a process grows RSS by ~60 MB even straight
  // from the upstream (fetch's and the allocator's pools); the 200 MB that follow must not add to it.
  await upload(`${s.gw.url}/file`, WARM);
  for await (const _ of (await fetch(`${s.gw.url}/file?warm`)).body!);

  const down = await peakRssGrowth(async () => {
    const r = await fetch(`${s.gw.url}/file`);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-length'), String(TOTAL));
    let n = 0;
    for await (const c of r.body!) n += (c as Uint8Array).byteLength;
    return n;
  });
  assert.equal(down.result, TOTAL);
  assert.ok(down.growthMb < 50, `download grew RSS by ${down.growthMb.toFixed(1)} MB`);

  const up2 = await peakRssGrowth(() => upload(`${s.gw.url}/file`, TOTAL));
  assert.deepEqual(JSON.parse(up2.result), { received: TOTAL });
  assert.ok(up2.growthMb < 50, `upload grew RSS by ${up2.growthMb.toFixed(1)} MB`);
  const lines = s.gw.logs.requestLines().filter((l) => l.plugin_id === 'big');
  assert.deepEqual(
    lines.slice(-2).map((l) => [l.method, l.status_code]),
    [
      ['GET', 200],
      ['POST', 200],
    ],
  );
  t.diagnostic(`RSS growth: download ${down.growthMb.toFixed(1)} MB, upload ${up2.growthMb.toFixed(1)} MB`);
});
