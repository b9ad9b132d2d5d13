// The gateway's own cost per request, without HTTP: the same plugin folders run.ts serves (an async
// handleRequest with a rate limit; N middleware with async onRequest + async onResponse), loaded by
// the host from disk as `plugway serve` loads them (dist/), and requests run through the route's
// compiled steps (RequestEntry.run) with the request log on, to a file, 50 in flight. The baseline,
// in the same run: the very plugin modules awaited directly in order, each onResponse handed the
// response as the gateway hands it (handOver: cheaper plugin spreads under V8 11), the JSON answer
// serialized (run.ts's floorh row without node:http). HTTP, wrk and the kernel are out of the picture, so
// this moves far less from run to run than run.ts on a shared machine: it is the instrument for
// changes to the steps, run.ts the measurement of what users get.
// BENCH_MW=0,5 (middleware counts), BENCH_N=100000 (requests per round), BENCH_ROUNDS=5, BENCH_IN_FLIGHT=50;
// BENCH_NAIVE=1: the baseline awaits the plugins as they are, each onResponse given the previous answer itself.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { pino } from 'pino';
// @ts-expect-error plain ESM helper without types
import { floorChain, writePluginFolders } from './plugins.mjs';
import { ensureDist, median, ROOT } from './measure.js';

const MWS = (process.env.BENCH_MW ?? '0,5').split(',').map(Number);
const N = Number(process.env.BENCH_N ?? 100_000);
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 5));
const IN_FLIGHT = Number(process.env.BENCH_IN_FLIGHT ?? 50);
const NAIVE = process.env.BENCH_NAIVE === '1';

type Handler = () => Promise<void> | undefined;
type Answer = { statusCode: number; headers?: Record<string, string>; body: unknown };

ensureDist('gateway/request-entry.js');
const dist = (p: string) => import(pathToFileURL(join(ROOT, 'dist', p)).href);
const [{ createHost }, { defaultHostConfig }, { GatewayCore }, { GatewayMetrics }, { RequestEntry }, { createRequestLogger }, { handOver }] = await Promise.all([
  dist('host/index.js'),
  dist('host/config.js'),
  dist('gateway/core.js'),
  dist('gateway/metrics.js'),
  dist('gateway/request-entry.js'),
  dist('gateway/logging.js'),
  dist('gateway/steps/middleware.js'),
]);

/** Runs `fn` n times with IN_FLIGHT requests in flight; µs per request. */
async function time(fn: Handler, n: number): Promise<number> {
  let left = n;
  const worker = async () => {
    while (left-- > 0) await fn();
  };
  const t0 = process.hrtime.bigint();
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  return Number(process.hrtime.bigint() - t0) / n / 1000;
}

interface Row {
  mw: number;
  stepsUs: number;
  directUs: number;
  rounds: Array<{ steps: number; direct: number }>;
}

async function measure(mw: number): Promise<Row> {
  const work = mkdtempSync(join(tmpdir(), 'plugway-bench-steps-'));
  const plugins = join(work, 'plugins');
  await writePluginFolders(plugins, mw);
  const config = defaultHostConfig();
  config.plugins.directories = [plugins];
  config.state.dir = join(work, 'state');
  const host = createHost({ config, logger: pino({ level: 'silent' }) });
  await host.start();
  const logger = createRequestLogger({ dest: join(work, 'requests.log') });
  let core: { circuitState(id: string): unknown; rebuild(): void } | undefined;
  const metrics = new GatewayMetrics(host, (id: string) => core!.circuitState(id));
  core = new GatewayCore({ host, config, metrics, logger });
  core!.rebuild();
  const entry = new RequestEntry(core, '');
  let sent = 0;
  // What each side sends goes nowhere (the floor row of run.ts writes it to a socket, as plugway serve does)
  const io = {
    remoteAddress: () => '127.0.0.1',
    send(_status: number, _headers: object, _contentType: string | undefined, _payload: unknown) {
      sent++;
    },
  };
  const headers = { host: '127.0.0.1', 'user-agent': 'bench' };
  const match = entry.match('GET', '/echo');
  if (!match) throw new Error('no route GET /echo');
  const steps: Handler = () => entry.run(match, 'GET', '/echo', headers, {}, undefined, io);

  // The same modules awaited directly (run.ts's floorh row, without node:http)
  const chain = (await floorChain(plugins, mw, NAIVE ? undefined : handOver)) as (req: unknown) => Promise<Answer>;
  let seq = 0;
  const direct: Handler = async () => {
    const r = await chain({ id: String(++seq), method: 'GET', path: '/echo', params: {}, query: {}, headers, context: {} });
    const body = JSON.stringify(r.body);
    io.send(r.statusCode, { ...r.headers, 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) }, undefined, body);
  };

  await time(steps, 20_000); // warm-up: JIT
  await time(direct, 20_000);
  const rounds: Row['rounds'] = [];
  for (let r = 0; r < ROUNDS; r++) rounds.push({ steps: await time(steps, N), direct: await time(direct, N) });
  (logger as { flush?(): void }).flush?.();
  metrics.close();
  await host.stop();
  rmSync(work, { recursive: true, force: true });
  if (sent !== 40_000 + 2 * ROUNDS * N) throw new Error(`expected every request answered, got ${sent}`);
  return { mw, stepsUs: median(rounds.map((x) => x.steps)), directUs: median(rounds.map((x) => x.direct)), rounds };
}

const rows: Row[] = [];
for (const mw of MWS) rows.push(await measure(mw));
const f = (x: number) => x.toFixed(2).padStart(8);
console.log(
  `gateway steps in-process (dist/, ${N} requests × ${ROUNDS} rounds, ${IN_FLIGHT} in flight, request log to a file; direct: ${NAIVE ? 'the plugins as they are' : 'each onResponse handed its response as the gateway hands it'}), µs per request, median of rounds`,
);
console.log(`${'middleware'.padEnd(12)}${'steps'.padStart(8)}${'direct'.padStart(8)}${'ratio'.padStart(8)}${'overhead'.padStart(10)}   rounds (steps/direct)`);
for (const r of rows) {
  console.log(
    `${String(r.mw).padEnd(12)}${f(r.stepsUs)}${f(r.directUs)}${(r.directUs / r.stepsUs).toFixed(3).padStart(8)}${f(r.stepsUs - r.directUs).padStart(10)}   ${r.rounds.map((x) => `${x.steps.toFixed(2)}/${x.direct.toFixed(2)}`).join(' ')}`,
  );
}
if (rows.length >= 2) {
  const [a, b] = [rows[0]!, rows[rows.length - 1]!];
  const per = (x: number, y: number) => ((y - x) / (b.mw - a.mw)).toFixed(2);
  console.log(`per middleware (onRequest + onResponse): steps ${per(a.stepsUs, b.stepsUs)} µs, direct ${per(a.directUs, b.directUs)} µs`);
}
console.log('ratio: direct / steps (1.0 = the gateway costs nothing over awaiting the plugins itself); overhead: steps − direct');
