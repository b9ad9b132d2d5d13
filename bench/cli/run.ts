// CLI start-up: `plugway --help` (target ≤ 0.3 s) and `plugway plugin list` against a running gateway
// (target ≤ 0.5 s), as the installed CLI runs them (bin → dist/), against `node -e 0` in the same run.
// Table + bench/results/cli.json.
// Run: node --import tsx bench/cli/run.ts [--installed] [--runs N]   (or npm run bench:cli)
//   default     the checkout's bin/plugway.js on dist/ (built first when src/ is newer), i.e. the installed code path
//   --installed npm pack + npm install -g into a temporary prefix (dependencies from a loopback mirror of
//               node_modules), and time that `plugway`

import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startNpmMirror } from '../../test/helpers/npm-mirror.js';
import { installGlobally, npmEnv, packCheckout } from '../../test/helpers/packed-plugway.js';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..');
const args = process.argv.slice(2);
const runs = Number(args[args.indexOf('--runs') + 1]) || 15;
const work = mkdtempSync(join(tmpdir(), 'plugway-bench-cli-'));

spawnSync(process.execPath, [join(repo, 'scripts', 'ensure-ready.mjs')], { stdio: 'inherit' });
let cmd = [process.execPath, join(repo, 'bin', 'plugway.js')];
let env: NodeJS.ProcessEnv = { ...process.env, PLUGWAY_USE_DIST: '1' };
delete env.PLUGWAY_ADMIN_TOKEN;
let what = 'checkout bin/plugway.js on dist/';
let close = async (): Promise<void> => undefined;
if (args.includes('--installed')) {
  const mirror = await startNpmMirror(repo);
  const npm = npmEnv(join(work, 'home'), mirror.url);
  const { bin } = await installGlobally(await packCheckout(join(work, 'pack'), npm), join(work, 'prefix'), npm);
  cmd = [bin];
  env = { ...npm };
  what = `installed ${bin}`;
  close = () => mirror.close();
}

/** Wall time of one run of argv, in ms (spawn to exit). */
function once(argv: string[], cwd: string): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(argv[0]!, argv.slice(1), { cwd, env, stdio: 'ignore' });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${argv.join(' ')} exited with ${r.status}`);
  return ms;
}

function stats(argv: string[], cwd: string): { median: number; best: number } {
  once(argv, cwd); // warm the file cache
  const t = Array.from({ length: runs }, () => once(argv, cwd)).sort((a, b) => a - b);
  return { median: t[Math.floor(t.length / 2)]!, best: t[0]! };
}

// a gateway for plugin list, started in its own folder (its state dir holds the admin token the CLI reads)
const site = join(work, 'site');
mkdirSync(site);
const gateway = spawn(process.execPath, [join(repo, 'bin', 'plugway.js'), 'serve', '--port', '0'], { cwd: site, env: { ...process.env, PLUGWAY_USE_DIST: '1' }, stdio: ['ignore', 'pipe', 'inherit'] });
const url = await new Promise<string>((resolve, reject) => {
  let out = '';
  gateway.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    const m = /listening on (http:\/\/\S+)/.exec(out);
    if (m) resolve(m[1]!);
  });
  gateway.once('exit', (code) => reject(new Error(`plugway serve exited with ${code}`)));
});

const baseline = stats([process.execPath, '-e', '0'], site);
const rows = [
  { name: 'node -e 0 (baseline)', ...baseline, targetMs: undefined as number | undefined },
  { name: 'plugway --help', ...stats([...cmd, '--help'], site), targetMs: 300 },
  { name: 'plugway --version', ...stats([...cmd, '--version'], site), targetMs: 300 },
  { name: 'plugway plugin list', ...stats([...cmd, 'plugin', 'list', '--url', url], site), targetMs: 500 },
].map((r) => ({ ...r, ratio: r.median / baseline.median, pass: r.targetMs === undefined ? undefined : r.median <= r.targetMs }));

gateway.kill('SIGTERM');
await close();
rmSync(work, { recursive: true, force: true });

const head = ['command', 'median ms', 'best ms', '× node -e 0', 'target', 'pass'];
const table = rows.map((r) => [r.name, r.median.toFixed(0), r.best.toFixed(0), r.ratio.toFixed(2), r.targetMs ? `≤ ${r.targetMs} ms` : '', r.pass === undefined ? '' : r.pass ? 'yes' : 'NO']);
const widths = head.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)));
const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ');
console.log(`${what}, ${runs} runs each`);
console.log(line(head));
console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
for (const row of table) console.log(line(row));
const load = loadavg().map((x) => Math.round(x * 100) / 100);
console.log(`load average ${load.join(' ')} on ${availableParallelism()} CPUs`);
const out = join(here, '..', 'results', 'cli.json');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify({ node: process.version, date: new Date().toISOString(), what, runs, loadavg: load, cpus: availableParallelism(), rows }, null, 2)}\n`);
console.log(`\nwrote ${out}`);
