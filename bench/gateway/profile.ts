// Where `plugway serve`'s CPU goes per request, by JavaScript function, over HTTP (Linux, perf).
//   npm run bench:gateway:profile            (BENCH_MW=5 for 5 middleware; PROFILE_BUILD=<dist copy>;
//                                            BENCH_LOG_LEVEL=warn: the request log off, to see its share)
// perf starts the server (`perf record -e cpu-clock -g`, with --perf-basic-prof so JIT frames have
// names) with recording off, wrk warms it for 3 s, then perf records only during a measured wrk run
// of BENCH_DURATION_S (6). Each sample is charged to the nearest JavaScript frame on its stack, so
// the builtins, inline-cache stubs, runtime calls and kernel work a function causes count as its
// own (a socket write's kernel time shows under Node's `clearBuffer`); samples with no JavaScript
// frame are listed by their native frame. Prints µs of CPU a request = samples × (1e6 / 4000 Hz) /
// requests. perf must be installed (not a test dependency: CI does not run this).
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
// @ts-expect-error plain ESM helper without types
import { serveConfig, writePluginFolders } from './plugins.mjs';
import { ensureDist, ROOT, runWrk, urlFrom } from './measure.js';

const MW = Number(process.env.BENCH_MW ?? 0);
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 6);
const TOP = Number(process.env.PROFILE_TOP ?? 40);
const HZ = 4000;
const build = process.env.PROFILE_BUILD ? resolve(process.env.PROFILE_BUILD) : join(ROOT, 'dist');
if (!process.env.PROFILE_BUILD) ensureDist('gateway/request-entry.js');
try {
  execFileSync('perf', ['--version'], { stdio: 'ignore' });
} catch {
  throw new Error('bench:gateway:profile needs perf (Debian: apt-get install linux-perf)');
}

const work = mkdtempSync(join(tmpdir(), 'plugway-bench-profile-'));
await writePluginFolders(join(work, 'plugins'), MW);
const config = join(work, 'plugway.yaml');
writeFileSync(config, serveConfig(join(work, 'plugins'), join(work, 'state'), process.env.BENCH_LOG_LEVEL));
const [ctl, ack, data, log] = ['ctl.fifo', 'ack.fifo', 'perf.data', 'serve.log'].map((f) => join(work, f)) as [string, string, string, string];
execFileSync('mkfifo', [ctl, ack]);

const out = openSync(log, 'w');
const perf = spawn(
  'perf',
  [
    'record',
    '-e',
    'cpu-clock',
    '-F',
    String(HZ),
    '-g',
    '-D',
    '-1',
    `--control=fifo:${ctl},${ack}`,
    '-o',
    data,
    '--',
    process.execPath,
    '--perf-basic-prof',
    join(build, 'cli/index.js'),
    'serve',
    '--config',
    config,
    '--port',
    '0',
  ],
  // cwd: V8 writes an isolate-*.log beside it under --perf-basic-prof
  { stdio: ['ignore', out, 'pipe'], cwd: work },
);
closeSync(out);
let perfErr = '';
perf.stderr!.on('data', (d) => (perfErr += d));
// perf opens both fifos at start: these opens wait for it
const ctlFd = openSync(ctl, 'w');
const ackFd = openSync(ack, 'r');
const command = (what: string) => {
  writeSync(ctlFd, `${what}\n`);
  const buf = Buffer.alloc(16);
  readSync(ackFd, buf);
};
let requests = 0;
try {
  const url = await urlFrom(perf, () => readFileSync(log, 'utf8').slice(0, 4096), 'plugway serve under perf');
  runWrk(`${url}/echo`, 3);
  command('enable');
  requests = runWrk(`${url}/echo`, DURATION_S).requests;
  command('disable');
} finally {
  closeSync(ctlFd);
  closeSync(ackFd);
  // SIGINT to the server (perf's child), then perf writes its data and exits
  execFileSync('pkill', ['-INT', '-P', String(perf.pid)]);
  await new Promise((r) => perf.once('exit', r));
}
if (!requests) throw new Error(`no requests measured\n${perfErr}`);

const script = execFileSync('perf', ['script', '-i', data, '-F', 'ip,sym'], { encoding: 'utf8', maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'ignore'] });
const byFrame = new Map<string, number>();
let samples = 0;
for (const block of script.split('\n\n')) {
  const frames = block
    .split('\n')
    .map((l) => l.trim().replace(/^[0-9a-f]+\s+/, ''))
    .filter(Boolean);
  if (!frames.length) continue;
  samples++;
  const js = frames.find((f) => f.startsWith('JS:') || f.startsWith('RegExp:'));
  const key = js ?? `(native) ${frames.find((f) => !f.startsWith('[') && !/^(entry_SYSCALL|do_syscall|__x64_sys|asm_)/.test(f)) ?? frames[0]}`;
  byFrame.set(key, (byFrame.get(key) ?? 0) + 1);
}
rmSync(work, { recursive: true, force: true });
const us = (n: number) => (n * (1e6 / HZ)) / requests;
console.log(`plugway serve (${build}), ${MW} mw: ${requests} requests in ${DURATION_S} s, ${us(samples).toFixed(1)} µs of CPU a request in all, by nearest JavaScript frame:`);
for (const [k, n] of [...byFrame].sort((a, b) => b[1] - a[1]).slice(0, TOP)) console.log(`${us(n).toFixed(3).padStart(8)}  ${k.replace(`file://${ROOT}`, '').slice(0, 130)}`);
