// Runs the command lines of the docs' shell blocks for real, one bash per line, in a session that
// keeps what a reader's terminal keeps between lines: the folder (`cd`), variables (`export X=…`,
// `TOKEN=$(…)`) and background servers. `plugway` is a PATH shim for `node <repo>/bin/plugway.js`;
// ports and paths the docs name are rewritten to the free ones this test uses.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../helpers/services.js';
import { ROOT, type CommandLine } from './blocks.js';

function newestMtime(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return t;
}

/**
 * Whether dist/ was built (scripts/ensure-ready.mjs's stamp) after the last change under src/. Then the
 * CLI runs the built code (PLUGWAY_USE_DIST=1, as an installed package does), which starts in half
 * the time of tsx compiling src/ on every call; the code is the same. Otherwise it runs src/.
 */
export function distIsFresh(): boolean {
  const stamp = join(ROOT, 'dist', '.build-stamp');
  if (!existsSync(stamp)) return false;
  const built = statSync(stamp).mtimeMs;
  return built >= newestMtime(join(ROOT, 'src')) && built >= statSync(join(ROOT, 'package.json')).mtimeMs;
}
const USE_DIST = distIsFresh();

export interface LineResult {
  /** The command as run (after rewriting). */
  ran: string;
  /** Exit status of every command of the last pipeline (bash's PIPESTATUS). */
  status: number[];
  stdout: string;
  stderr: string;
}

export interface Background {
  child: ChildProcess;
  stdout: string;
  stderr: string;
}

/** A server command (`plugway serve`, `node bin/plugway.js serve`) runs in the background until the session ends. */
export const isServe = (command: string): boolean => /(?:^|\s)(?:plugway|node \S*bin\/plugway\.js) serve\b/.test(command);

export class ShellSession {
  readonly dir: string;
  cwd: string;
  readonly env: Record<string, string> = {};
  /** Doc port → the free port used instead. */
  readonly ports = new Map<number, number>();
  /** Literal text of the docs → what this session uses instead (`/tmp/my-plugins` → a temp dir). */
  readonly paths = new Map<string, string>();
  /** What `…` in a command stands for (a token "as printed"). */
  ellipsis?: string;
  readonly background: Background[] = [];
  private readonly shim: string;
  private readonly scratch: string;
  private runs = 0;

  constructor(name: string) {
    this.dir = mkdtempSync(join(tmpdir(), `plugway-doc-${name}-`));
    this.cwd = join(this.dir, 'work');
    mkdirSync(this.cwd);
    this.shim = join(this.dir, 'bin');
    this.scratch = join(this.dir, 'scratch');
    mkdirSync(this.shim);
    mkdirSync(this.scratch);
    const plugway = join(this.shim, 'plugway');
    writeFileSync(plugway, `#!/bin/sh\nexec "${process.execPath}" "${join(ROOT, 'bin', 'plugway.js')}" "$@"\n`);
    chmodSync(plugway, 0o755);
  }

  /** The gateway at doc port `docPort` (8080 by default) is really at `port`; the admin commands default to it. */
  mapPort(docPort: number, port: number): void {
    this.ports.set(docPort, port);
    if (docPort === 8080) this.env.PLUGWAY_URL = `http://127.0.0.1:${port}`;
  }

  rewrite(command: string): string {
    let s = command.replace(/(^|\s)node bin\/plugway\.js\b/g, `$1node ${join(ROOT, 'bin', 'plugway.js')}`);
    for (const [from, to] of this.paths) s = s.split(from).join(to);
    for (const [from, to] of this.ports) s = s.replace(new RegExp(`\\b(127\\.0\\.0\\.1|localhost):${from}\\b`, 'g'), `$1:${to}`);
    if (this.ellipsis !== undefined) s = s.split('…').join(this.ellipsis);
    return s;
  }

  private processEnv(): NodeJS.ProcessEnv {
    const base: NodeJS.ProcessEnv = {};
    // A reader's shell has none of the test runner's plugway settings.
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('PLUGWAY_') && k !== 'NODE_OPTIONS' && k !== 'NODE_TEST_CONTEXT') base[k] = v;
    return { ...base, ...this.env, PATH: `${this.shim}:${process.env.PATH ?? '/usr/bin:/bin'}`, NO_COLOR: '1', ...(USE_DIST ? { PLUGWAY_USE_DIST: '1' } : {}) };
  }

  /** Runs one command line to its end (a server command: starts it and waits until it listens). */
  async run(line: CommandLine | string, timeoutMs = 120_000): Promise<LineResult> {
    const command = typeof line === 'string' ? line : line.command;
    if (isServe(command)) return this.serve(command);
    const ran = this.rewrite(command);
    // a line that only sets a variable (`export X=…`, `TOKEN=$(cat …)`): keep it for the next lines
    const assigned = /^(?:export\s+)?([A-Za-z_]\w*)=(?:\$\([^)]*\)|"[^"]*"|'[^']*'|\S*)$/.exec(ran)?.[1];
    // one set of files per run: lines of a session may run at the same time
    const n = ++this.runs;
    const statusFile = join(this.scratch, `status-${n}`);
    const pwdFile = join(this.scratch, `pwd-${n}`);
    const varFile = join(this.scratch, `var-${n}`);
    const script = [
      ran,
      '__plw_status=("${PIPESTATUS[@]}")',
      `pwd > '${pwdFile}'`,
      ...(assigned ? [`printf '%s' "$${assigned}" > '${varFile}'`] : []),
      `echo "\${__plw_status[*]}" > '${statusFile}'`,
    ].join('\n');
    const { stdout, stderr, code } = await new Promise<{ stdout: string; stderr: string; code: number | null }>((resolve, reject) => {
      const child = spawn('bash', ['-c', script], { cwd: this.cwd, env: this.processEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.once('error', reject);
      child.once('close', (c) => {
        clearTimeout(timer);
        resolve({ stdout: out, stderr: err, code: c });
      });
    });
    let status: number[];
    try {
      status = readFileSync(statusFile, 'utf8').trim().split(/\s+/).map(Number);
      this.cwd = readFileSync(pwdFile, 'utf8').trim();
      if (assigned) this.env[assigned] = readFileSync(varFile, 'utf8');
    } catch {
      status = [code ?? -1]; // bash itself stopped (a syntax error, or killed by the timeout)
    }
    return { ran, status, stdout, stderr };
  }

  /** Starts a server line in the background on a free port and waits for "listening on". */
  async serve(command: string): Promise<LineResult> {
    let withPort = command;
    const m = /--port (\d+)/.exec(command);
    const docPort = m ? Number(m[1]) : 8080;
    const port = await freePort();
    withPort = m ? command.replace(m[0], `--port ${port}`) : `${command} --port ${port}`;
    const ran = this.rewrite(withPort);
    this.mapPort(docPort, port);
    const child = spawn('bash', ['-c', `exec ${ran}`], { cwd: this.cwd, env: this.processEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    const bg: Background = { child, stdout: '', stderr: '' };
    this.background.push(bg);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${ran}: not listening after 60 s\n${bg.stdout}\n${bg.stderr}`)), 60_000);
      child.stdout!.on('data', (d: Buffer) => {
        bg.stdout += d.toString();
        if (/listening on/.test(bg.stdout)) {
          clearTimeout(timer);
          // the banner is written in one piece after listen(); give it the rest of this tick
          setImmediate(resolve);
        }
      });
      child.stderr!.on('data', (d: Buffer) => (bg.stderr += d.toString()));
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${ran} exited with ${code}\n${bg.stdout}\n${bg.stderr}`));
      });
    });
    return { ran, status: [0], stdout: bg.stdout, stderr: bg.stderr };
  }

  /** Stops the background servers (by their pid) and removes the session's folder. */
  async close(): Promise<void> {
    await Promise.all(
      this.background.map(
        (bg) =>
          new Promise<void>((resolve) => {
            if (bg.child.exitCode !== null || bg.child.signalCode !== null) return resolve();
            bg.child.once('exit', () => resolve());
            bg.child.kill('SIGTERM');
            setTimeout(() => bg.child.kill('SIGKILL'), 5000).unref();
          }),
      ),
    );
    rmSync(this.dir, { recursive: true, force: true });
  }
}
