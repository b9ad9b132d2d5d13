// What the gateway benchmarks (run.ts, proxy.ts) share: building dist/ when src/ is newer,
// starting `plugway serve` as users run it, a process's CPU time from /proc, wrk's output read
// into a sample, medians.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface WrkSample {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
}

/** Builds dist/ (npm run build) when `marker` (a file under dist/) is missing or older than a src/ file. */
export function ensureDist(marker: string): void {
  const newest = (dir: string): number =>
    readdirSync(dir, { withFileTypes: true }).reduce((m, e) => {
      const p = join(dir, e.name);
      return Math.max(m, e.isDirectory() ? newest(p) : e.name.endsWith('.ts') ? statSync(p).mtimeMs : 0);
    }, 0);
  const file = join(ROOT, 'dist', marker);
  if (existsSync(file) && newest(join(ROOT, 'src')) <= statSync(file).mtimeMs) return;
  console.error('bench: building dist/ (npm run build)…');
  try {
    execFileSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'ignore' });
  } catch {
    console.error('bench: tsc reported type errors (files were still emitted)');
  }
  if (!existsSync(file)) throw new Error('dist/ could not be built');
}

const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU time (user + system, µs) a process has used so far, from /proc (Linux); undefined elsewhere. */
export function cpuUsOf(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1e6) / CLK_TCK;
  } catch {
    return undefined;
  }
}

function wrkMs(s: string): number {
  const m = /([\d.]+)(us|ms|s)/.exec(s);
  if (!m) return NaN;
  const v = Number(m[1]);
  return m[2] === 'us' ? v / 1000 : m[2] === 's' ? v * 1000 : v;
}

/** wrk's output (run with --latency) as a sample; any non-2xx answer fails the run. */
export function wrkSample(out: string): WrkSample {
  if (/Non-2xx/.test(out)) throw new Error(`non-2xx answers during the run:\n${out}`);
  return {
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]),
    p50Ms: wrkMs(/\s50%\s+(\S+)/.exec(out)?.[1] ?? ''),
    p99Ms: wrkMs(/\s99%\s+(\S+)/.exec(out)?.[1] ?? ''),
    requests: Number(/(\d+) requests in/.exec(out)?.[1]),
  };
}

/**
 * wrk -t1 against `url` for `seconds` (with --latency) as a sample; `wrap` turns the command into
 * another (e.g. under taskset); `script`: a wrk Lua script file (wrk -s), e.g. for a POST.
 */
export function runWrk(url: string, seconds: number, connections = 50, wrap: (cmd: string, args: string[]) => [string, string[]] = (c, a) => [c, a], script?: string): WrkSample {
  const [cmd, args] = wrap('wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', ...(script ? ['-s', script] : []), url]);
  return wrkSample(execFileSync(cmd, args, { encoding: 'utf8' }));
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

export const round3 = (x: number): number => Math.round(x * 1000) / 1000;

export interface BenchServer {
  url: string;
  pid?: number;
  stop: () => void;
}

/** Waits for a URL in what `read()` returns (stdout or the log file). */
export function urlFrom(child: ChildProcess, read: () => string, name: string): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const poll = setInterval(() => {
      const m = /http:\/\/127\.0\.0\.1:\d+/.exec(read());
      if (m) {
        clearInterval(poll);
        resolve(m[0]);
      }
    }, 20);
    child.once('exit', (c) => {
      clearInterval(poll);
      reject(new Error(`bench server ${name} exited ${c}`));
    });
  });
}

/**
 * `plugway serve --config <config> --port 0` as installed: bin/plugway.js on dist/
 * (PLUGWAY_USE_DIST=1), its stdout (banner + one JSON line per request) to the file `log`.
 * `wrap` turns the command into another (e.g. under taskset).
 */
export async function startPlugwayServe(
  config: string,
  log: string,
  wrap: (cmd: string, args: string[]) => [string, string[]] = (c, a) => [c, a],
  /** Another build's CLI (a copy of dist/ inside the checkout: `<copy>/cli/index.js`) instead of bin/plugway.js. */
  entry = join(ROOT, 'bin/plugway.js'),
): Promise<BenchServer> {
  const fd = openSync(log, 'w');
  const [cmd, args] = wrap(process.execPath, [entry, 'serve', '--config', config, '--port', '0']);
  const child = spawn(cmd, args, { stdio: ['ignore', fd, 'inherit'], env: { ...process.env, PLUGWAY_USE_DIST: '1' } });
  closeSync(fd);
  const url = await urlFrom(child, () => readFileSync(log, 'utf8').slice(0, 4096), `plugway serve --config ${config}`);
  return { url, pid: child.pid, stop: () => child.kill('SIGKILL') };
}
