// Gateway throughput with the same trivial handler in each runtime (in-process, worker, wasm, process),
// served by a real `plugway serve` child process and loaded with autocannon over loopback.

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
// @ts-expect-error autocannon ships no types (a devDependency of the benchmarks only)
import autocannon from 'autocannon';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface GatewayRow {
  runtime: string;
  requestsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  ratioToInprocess?: number;
  /** CPU the gateway's processes (its threads included) spent per request, µs (Linux /proc). */
  gatewayCpuUsPerReq?: number;
  /** CPU the plugin's own processes (a process handler's) spent per request, µs. */
  pluginCpuUsPerReq?: number;
}

/**
 * CPU time (ms) of `pid` and its descendants, split into node processes (the gateway, its threads)
 * and the rest (a process plugin's children). Req/s depends on what else the 2 CPUs run; CPU per
 * request much less. Undefined where /proc is not there.
 */
function treeCpuMs(pid: number): { node: number; other: number } | undefined {
  const out = { node: 0, other: 0 };
  const walk = (p: number): void => {
    const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime, in clock ticks (100 a second on Linux)
    const ms = (Number(f[11]) + Number(f[12])) * 10;
    if (comm.startsWith('node')) out.node += ms;
    else out.other += ms;
    for (const c of readFileSync(`/proc/${p}/task/${p}/children`, 'utf8').trim().split(/\s+/).filter(Boolean)) walk(Number(c));
  };
  try {
    walk(pid);
    return out;
  } catch {
    return undefined;
  }
}

async function plugin(dir: string, id: string, type: string, entry: string, source: string): Promise<void> {
  await mkdir(join(dir, id), { recursive: true });
  await copyFile(source, join(dir, id, entry));
  await writeFile(
    join(dir, id, 'plugin.yaml'),
    `id: ${id}\nversion: 1.0.0\nkind: handler\nruntime:\n  type: ${type}\n  entry: ${entry}\nresources:\n  timeout: 5s\nendpoints:\n  - path: /bench/${type}\n    method: GET\n`,
  );
}

export async function gatewayThroughput(benchPlugin: string, benchWasm: string, benchPython?: string, seconds = 3): Promise<GatewayRow[]> {
  const dir = await mkdtemp(join(tmpdir(), 'plugway-bench-gw-'));
  await plugin(dir, 'bench-inprocess', 'inprocess', 'index.mjs', benchPlugin);
  await plugin(dir, 'bench-worker', 'worker', 'index.mjs', benchPlugin);
  await plugin(dir, 'bench-wasm', 'wasm', 'plugin.wasm', benchWasm);
  // the process row: the Python handler in its sandbox
  if (benchPython) await plugin(dir, 'bench-process', 'process', 'plugin.py', benchPython);
  const child = spawn(process.execPath, [join(ROOT, 'bin/plugway.js'), 'serve', '--port', '0', '--state-dir', join(dir, 'state'), '--plugins', dir], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PLUGWAY_ADMIN_TOKEN: 'bench', PLUGWAY_LOGGING_LEVEL: 'warn' },
  });
  try {
    let out = '';
    const url = await new Promise<string>((resolve, reject) => {
      const onData = (d: Buffer) => {
        out += d;
        const m = /listening on (http:\/\/\S+)/.exec(out);
        if (!m || !/bench-wasm\s/.test(out)) return;
        // Stop collecting: the request logs that follow (tens of MB) appended to `out` and searched
        // again per chunk took this process's CPU from autocannon, and every row after the first
        // measured that (the in-process handler itself fell from 11k to 4.5k req/s over four rounds).
        child.stdout.off('data', onData);
        resolve(m[1]!);
      };
      child.stdout.on('data', onData);
      child.once('exit', (code) => reject(new Error(`serve exited ${code}: ${out}`)));
    });
    // Request logs go to stdout: drain them so the child never blocks on a full pipe.
    child.stdout.resume();
    const rows: GatewayRow[] = [];
    for (const type of ['inprocess', 'worker', 'wasm', ...(benchPython ? ['process'] : [])]) {
      const target = `${url}/bench/${type}`;
      const probe = await fetch(target);
      if (probe.status !== 200) throw new Error(`${target} answered ${probe.status}: ${await probe.text()}`);
      await autocannon({ url: target, connections: 32, duration: 1 });
      const before = treeCpuMs(child.pid!);
      const r = await autocannon({ url: target, connections: 32, duration: seconds });
      const after = treeCpuMs(child.pid!);
      const row: GatewayRow = { runtime: type, requestsPerSec: Math.round(r.requests.average), p50Ms: r.latency.p50, p99Ms: r.latency.p99, errors: r.errors + r.non2xx };
      if (before && after && r.requests.total > 0) {
        row.gatewayCpuUsPerReq = +(((after.node - before.node) * 1000) / r.requests.total).toFixed(1);
        row.pluginCpuUsPerReq = +(((after.other - before.other) * 1000) / r.requests.total).toFixed(1);
      }
      rows.push(row);
    }
    const base = rows[0]!.requestsPerSec;
    for (const row of rows) row.ratioToInprocess = +(row.requestsPerSec / base).toFixed(2);
    return rows;
  } finally {
    child.kill('SIGTERM');
  }
}
