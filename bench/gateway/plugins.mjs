// The plugin folders the gateway benchmark serves, written as a user writes them (docs/plugins.md):
// an `echo` handler with an async handleRequest and a rate limit, and N middleware plugins with an
// async onRequest (tags the request) and an async onResponse (adds a header).
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** A rate limit high enough never to refuse: the limiter runs, it does not bite. */
export const RATE_LIMIT = '1000000000/s';

export async function writePluginFolders(root, middleware, { post = false } = {}) {
  await mkdir(join(root, 'echo'), { recursive: true });
  // post: the echo endpoint is POST /echo and answers with the JSON body it got (which Fastify's parser read)
  await writeFile(
    join(root, 'echo', 'plugin.yaml'),
    `id: echo\nname: echo\nversion: 1.0.0\nkind: handler\nruntime:\n  type: inprocess\n  entry: index.mjs\nendpoints:\n  - path: /echo\n    method: ${post ? 'POST' : 'GET'}\n    auth: none\n    rate_limit: ${RATE_LIMIT}\n`,
  );
  const body = post ? `{ hello: 'world', tags: req.context.tags ?? [], got: req.body }` : `{ hello: 'world', tags: req.context.tags ?? [] }`;
  await writeFile(join(root, 'echo', 'index.mjs'), `export default {\n  async handleRequest(req) {\n    return { statusCode: 200, body: ${body} };\n  },\n};\n`);
  for (let i = 0; i < middleware; i++) {
    const dir = join(root, `mw-${i}`);
    await mkdir(dir, { recursive: true });
    await writeFile(
      join(dir, 'plugin.yaml'),
      `id: mw-${i}\nname: mw-${i}\nversion: 1.0.0\nkind: middleware\nruntime:\n  type: inprocess\n  entry: index.mjs\nmiddleware:\n  priority: ${i}\n  routes: []\n`,
    );
    await writeFile(
      join(dir, 'index.mjs'),
      `export default {\n  async onRequest(req) {\n    (req.context.tags ??= []).push('mw-${i}');\n    return undefined;\n  },\n  async onResponse(_req, res) {\n    return { ...res, headers: { ...(res.headers ?? {}), 'x-mw-${i}': '1' } };\n  },\n};\n`,
    );
  }
}

/**
 * The floor: the plugin modules writePluginFolders wrote under `root` (as plugway serve loads them),
 * called with no gateway at all. Returns (request) => the answer: each middleware's async onRequest
 * in priority order (highest first), the echo handler, then each onResponse in reverse. With
 * `handOver` (the gateway's, src/gateway/steps/middleware.ts), each onResponse gets
 * handOver(response) as the gateway hands it, which makes the plugins' own spreads cheaper.
 */
export async function floorChain(root, middleware, handOver = (r) => r) {
  const load = async (dir) => (await import(pathToFileURL(join(root, dir, 'index.mjs')).href)).default;
  const echo = await load('echo');
  const mws = [];
  for (let i = middleware - 1; i >= 0; i--) mws.push(await load(`mw-${i}`)); // priority high to low
  return async (req) => {
    for (const m of mws) await m.onRequest(req);
    let r = await echo.handleRequest(req);
    for (let i = mws.length - 1; i >= 0; i--) r = await mws[i].onResponse(req, handOver(r));
    return r;
  };
}

/**
 * The proxy benchmark's plugin folder, as docs/remote-plugins.md teaches: a manifest and nothing
 * else, `runtime: { type: remote, upstreams: [upstream] }` (every other field at its default),
 * one endpoint GET /item.
 */
export async function writeRemotePluginFolder(root, upstream) {
  await mkdir(join(root, 'catalog'), { recursive: true });
  await writeFile(
    join(root, 'catalog', 'plugin.yaml'),
    `id: catalog\nname: catalog\nversion: 1.0.0\nkind: handler\nruntime:\n  type: remote\n  upstreams: [${upstream}]\nendpoints:\n  - path: /item\n    method: GET\n    auth: none\n`,
  );
}

/**
 * plugway.yaml for `plugway serve` over `root` (state in `stateDir`), the request log on (`info`).
 * `level: 'warn'` turns the request log off: only the analysis tools (compare, profile) pass it,
 * from BENCH_LOG_LEVEL, to see what the log costs; the target rows (run.ts) always log.
 */
export function serveConfig(root, stateDir, level = 'info') {
  return `plugins:\n  directories: [${JSON.stringify(root)}]\nstate:\n  dir: ${JSON.stringify(stateDir)}\nlogging:\n  level: ${level}\n`;
}

/** A wrk script that POSTs a small JSON body (for writePluginFolders' `post` folders). */
export const POST_SCRIPT = `wrk.method = "POST"\nwrk.body = '{"hello":"world","n":42}'\nwrk.headers["Content-Type"] = "application/json"\n`;
