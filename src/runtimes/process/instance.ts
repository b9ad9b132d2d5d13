// One plugin process on the host's side: spawns it (cgroup, rlimits, bwrap), speaks the line protocol
// over its stdin/stdout, enforces deadlines (killing a process that does not answer), forwards its
// stderr to the plugin's log, and turns its death into a coded error (OOM, pids, protocol, exit).

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import type { Logger } from 'pino';
import { PlugwayError, type ErrorCode } from '../../errors.js';
import { InstanceCalls, type DeathKind, type InstanceSpec, type InstanceUsage } from '../isolated-instance.js';
import type { ToMain, ToWorker } from '../worker/protocol.js';
import { Cgroup, type CgroupCounters, type CgroupLimits } from './cgroup.js';
import { CONFINE_SCRIPT, type Launch } from './command.js';
import { bwrapArgs, type SandboxSpec } from './sandbox.js';
import { decodeFromPlugin, encodeRawCall, encodeToPlugin, LineReader, PROCESS_ABI_VERSION, ProtocolError } from './wire.js';

export interface ProcessSpec {
  launch: Launch;
  /** bwrap's path and what the sandbox holds; undefined runs the program unsandboxed (sandbox: false). */
  sandbox?: { bwrap: string; spec: SandboxSpec };
  /** Variables given to an unsandboxed program (a sandboxed one gets them through bwrap). */
  env: Record<string, string>;
  pluginDir: string;
  limits: CgroupLimits;
  /** RLIMIT_CPU, s: the backstop when no cgroup holds the CPU quota. */
  rlimitCpuS?: number;
  /** RLIMIT_DATA, KiB: memory when no cgroup holds it. */
  rlimitDataKb?: number;
  /** Longest line accepted from the plugin, bytes. */
  maxLineBytes: number;
  logger: Logger;
  /** A limit the plugin ran into (pids_limit, cpu_limit, …): the runtime makes it an event. */
  onLimit(type: string, data: Record<string, unknown>): void;
}

let cgroupSeq = 0;
const SIGXCPU = 24;

export class ProcessInstance extends InstanceCalls {
  private child!: ChildProcessWithoutNullStreams;
  private cgroup: Cgroup | undefined;
  private base: CgroupCounters | undefined;
  private stderrTail = '';
  private prevCpu: { at: number; ns: number } | undefined;
  /** The plugin reads long request bodies as raw bytes after the call line (its `ready` said so). */
  private rawBody = false;

  constructor(
    spec: InstanceSpec,
    private readonly proc: ProcessSpec,
  ) {
    super(spec, 'process');
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  start(): Promise<string[]> {
    const done = this.beginLoad(() => this.hardKill());
    const { proc } = this;
    this.cgroup = Cgroup.create(`${this.pluginId}-${this.index}-${++cgroupSeq}`, proc.limits);
    this.base = this.cgroup?.counters();
    const program = proc.sandbox ? [proc.sandbox.bwrap, ...bwrapArgs(proc.sandbox.spec), ...proc.launch.argv] : proc.launch.argv;
    const rlimitCpu = this.cgroup?.holds.cpu ? undefined : proc.rlimitCpuS;
    const rlimitData = this.cgroup?.holds.memory ? undefined : proc.rlimitDataKb;
    const args = ['-c', CONFINE_SCRIPT, 'plugway-confine', (this.cgroup?.procsFiles ?? []).join(':'), rlimitCpu ? String(rlimitCpu) : '', rlimitData ? String(rlimitData) : '', ...program];
    this.child = spawn('/bin/sh', args, {
      cwd: proc.pluginDir,
      env: proc.sandbox ? {} : proc.env,
      stdio: ['pipe', 'pipe', 'pipe'],
      // its own process group: an unsandboxed plugin's children are killed with it
      detached: true,
    });
    const child = this.child;
    child.stdin.on('error', () => undefined); // EPIPE after it died: its exit tells why
    const reader = new LineReader(
      proc.maxLineBytes,
      (line) => this.handle(line),
      (bytes) => this.kill(new PlugwayError('PLW_ERR_RESPONSE_TOO_LARGE', { id: this.pluginId, method: this.oldestMethod(), size: bytes, limit: this.spec.boot.maxResponseBytes }), 'crashed'),
    );
    child.stdout.on('data', (chunk: Buffer) => reader.push(chunk));
    child.stdout.on('end', () => {
      // Its exit usually follows at once; a process that only closed stdout can no longer answer.
      setTimeout(() => {
        if (this.state !== 'dead') this.kill(new PlugwayError('PLW_ERR_PROCESS_PROTOCOL', { id: this.pluginId, instance: this.index, reason: 'it closed its stdout' }), 'crashed');
      }, 200).unref();
    });
    this.forwardStderr();
    child.on('exit', (code, signal) => this.onExit(code, signal));
    child.on('error', (err) => this.onExit(null, null, err));
    this.startLoadClock();
    this.send({ t: 'hello' } as unknown as ToWorker);
    return done;
  }

  private hello(): string {
    const b = this.spec.boot;
    return (
      JSON.stringify({
        type: 'hello',
        abi: PROCESS_ABI_VERSION,
        plugin_id: b.pluginId,
        version: b.version,
        instance: this.index,
        config: b.config,
        flags: b.flags,
        max_response_bytes: b.maxResponseBytes,
        log_level: b.logLevel ?? 'info',
      }) + '\n'
    );
  }

  private forwardStderr(): void {
    let partial = '';
    const log = this.proc.logger;
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (text: string) => {
      this.stderrTail = (this.stderrTail + text).slice(-2000);
      const lines = (partial + text).split('\n');
      partial = lines.pop()!.slice(-8192);
      for (const line of lines) if (line) log.warn({ instance: this.index, stream: 'stderr' }, line.slice(0, 8192));
    });
  }

  private oldestMethod(): string {
    for (const p of this.pending.values()) return p.method;
    return 'call';
  }

  private handle(line: string): void {
    let msg: ToMain;
    try {
      msg = decodeFromPlugin(line, (id) => this.pending.get(id)?.method);
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      this.kill(new PlugwayError('PLW_ERR_PROCESS_PROTOCOL', { id: this.pluginId, instance: this.index, reason: err.message }), 'crashed');
      return;
    }
    switch (msg.t) {
      case 'ready':
        this.rawBody = (msg as { features?: string[] }).features?.includes('raw_body') ?? false;
        this.loadAnswered(msg);
        return;
      case 'load-error':
        this.loadAnswered(msg);
        return;
      default:
        this.received(msg);
    }
  }

  send(msg: ToWorker): void {
    if (this.state === 'dead' || !this.child) return;
    const stdin = this.child.stdin;
    // With other calls in flight (a gateway under load), what is sent until the event loop's next
    // turn leaves in one writev: a write to the child costs ~9 µs of system call here (it wakes the
    // reader), which one line per call paid each. A lone call is written at once.
    if (!this.corked && this.inFlight > 1) {
      this.corked = true;
      stdin.cork();
      setImmediate(() => {
        this.corked = false;
        stdin.uncork();
      });
    }
    if (msg.t === 'call' && this.rawBody) {
      const raw = encodeRawCall(msg);
      if (raw) {
        stdin.write(raw[0]);
        stdin.write(raw[1]);
        return;
      }
    }
    const line = (msg as { t: string }).t === 'hello' ? this.hello() : encodeToPlugin(msg);
    if (line !== undefined) stdin.write(line);
  }

  private corked = false;

  usage(): Promise<InstanceUsage | undefined> {
    if (this.state !== 'ready' || !this.cgroup) return Promise.resolve(undefined);
    const c = this.cgroup.counters();
    const limit = this.proc.limits.memoryBytes ?? 0;
    return Promise.resolve({ t: 'usage', id: 0, heapUsed: c.memoryBytes, heapTotal: c.memoryBytes, heapLimit: limit, external: 0 });
  }

  /** CPU since the previous reading, % of one core, from the cgroup's counter. */
  cpuPercent(): number {
    if (!this.cgroup || this.state === 'dead') return 0;
    const now = { at: performance.now(), ns: this.cgroup.counters().cpuNs };
    const prev = this.prevCpu ?? { at: now.at - this.startMs, ns: this.base?.cpuNs ?? 0 };
    this.prevCpu = now;
    const wallNs = (now.at - prev.at) * 1e6;
    return wallNs > 0 ? ((now.ns - prev.ns) / wallNs) * 100 : 0;
  }

  /** CPU time the process (and its children) used, ms; undefined without a cgroup. */
  cpuMs(): number | undefined {
    return this.cgroup ? (this.cgroup.counters().cpuNs - (this.base?.cpuNs ?? 0)) / 1e6 : undefined;
  }

  /** Ends the process on purpose, failing its in-flight calls with `error`. */
  kill(error: PlugwayError, kind: DeathKind): void {
    if (this.state === 'dead') return;
    this.deathError = error;
    this.deathKind = kind;
    if (this.loading) {
      this.failLoad(error);
      return;
    }
    this.hardKill();
    this.die();
  }

  async stop(): Promise<void> {
    this.expectedExit = true;
    if (this.state !== 'dead') {
      this.state = 'dead';
      this.failAll(new PlugwayError('PLW_ERR_CALL_ABORTED', { id: this.pluginId, method: 'call', reason: 'the runtime was disposed' }));
    }
    if (this.child && this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise<void>((r) => this.child.once('exit', () => r()));
      this.hardKill();
      await exited;
    }
    await this.removeCgroup();
  }

  private hardKill(): void {
    const pid = this.child?.pid;
    if (pid) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
    }
    this.cgroup?.killAll();
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null, spawnError?: Error): void {
    const counters = this.cgroup?.counters();
    const base = this.base;
    if (counters && base && counters.pidsMaxHits > base.pidsMaxHits) {
      this.proc.onLimit('pids_limit', { instance: this.index, pids: this.proc.limits.pids ?? 'unset', refused: counters.pidsMaxHits - base.pidsMaxHits });
    }
    void this.removeCgroup();
    const reason = spawnError ? spawnError.message : signal ? `killed by ${signal}` : `exited with code ${code}`;
    if (this.loading) {
      const tail = this.stderrTail.trim().split('\n').slice(-3).join(' | ');
      const why = code === 97 ? 'it could not be put in its cgroup' : reason;
      this.failLoad(new PlugwayError('PLW_ERR_PROCESS_START_FAILED', { id: this.pluginId, instance: this.index, reason: tail ? `${why}: ${tail}` : why }));
      return;
    }
    if (this.state === 'dead') return;
    if (!this.deathError) {
      // bwrap passes a signal on as 128 + its number
      const sig = signal ? undefined : code !== null && code > 128 ? code - 128 : undefined;
      if (counters && base && counters.oomKills > base.oomKills) {
        this.deathKind = 'oom';
        this.deathError = new PlugwayError('PLW_ERR_PROCESS_OUT_OF_MEMORY', { id: this.pluginId, instance: this.index, memoryMb: Math.round((this.proc.limits.memoryBytes ?? 0) / 1048576) });
      } else if (signal === 'SIGXCPU' || sig === SIGXCPU) {
        this.deathKind = 'crashed';
        this.deathError = new PlugwayError('PLW_ERR_PROCESS_CPU_LIMIT', { id: this.pluginId, instance: this.index, seconds: this.proc.rlimitCpuS ?? 'unset' });
        this.proc.onLimit('cpu_limit', { instance: this.index });
      } else if (counters && base && counters.pidsMaxHits > base.pidsMaxHits) {
        this.deathKind = 'crashed';
        this.deathError = new PlugwayError('PLW_ERR_PROCESS_PIDS_LIMIT', { id: this.pluginId, instance: this.index, pids: this.proc.limits.pids ?? 'unset' });
      } else {
        this.deathKind = code === 0 ? 'exited' : 'crashed';
        const tail = this.stderrTail.trim().split('\n').slice(-1)[0];
        this.deathError = new PlugwayError('PLW_ERR_PROCESS_CRASHED', { id: this.pluginId, instance: this.index, reason: tail ? `${reason} (${tail.slice(0, 300)})` : reason });
      }
    }
    this.die();
  }

  private cgroupRemoved: Promise<void> | undefined;

  /** Kills what is left in the cgroup and removes it (retried while the kernel still counts dying tasks). */
  private removeCgroup(): Promise<void> {
    const cg = this.cgroup;
    if (!cg) return Promise.resolve();
    this.cgroupRemoved ??= (async () => {
      for (let attempt = 0; attempt < 40; attempt++) {
        cg.killAll();
        if (cg.remove()) return;
        await new Promise((r) => setTimeout(r, 25));
      }
    })();
    return this.cgroupRemoved;
  }

  private die(): void {
    if (this.state === 'dead') return;
    this.state = 'dead';
    const error = this.deathError ?? new PlugwayError('PLW_ERR_PROCESS_CRASHED', { id: this.pluginId, instance: this.index, reason: 'ended' });
    this.failAll(error);
    if (!this.expectedExit) this.spec.onDeath(this, error, this.deathKind ?? 'crashed');
  }
}

/** Codes a process instance's death carries (for docs and tests). */
export const PROCESS_DEATH_CODES: readonly ErrorCode[] = [
  'PLW_ERR_PROCESS_CRASHED',
  'PLW_ERR_PROCESS_OUT_OF_MEMORY',
  'PLW_ERR_PROCESS_PIDS_LIMIT',
  'PLW_ERR_PROCESS_CPU_LIMIT',
  'PLW_ERR_PROCESS_PROTOCOL',
  'PLW_ERR_PROCESS_TERMINATED',
  'PLW_ERR_RESPONSE_TOO_LARGE',
];
