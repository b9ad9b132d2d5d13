// One cgroup per plugin process (v1: a folder in each of cpu, cpuacct, memory, pids; v2: one folder
// in the unified tree): it holds resources.cpu, resources.memory and resources.pids, and its counters
// tell the runtime why a process died (OOM kill, pids limit) and how much CPU it used.

import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface CgroupLimits {
  /** Cores (0.25 = a quarter of one). */
  cpu?: number;
  memoryBytes?: number;
  pids?: number;
}

export interface CgroupCounters {
  /** Processes the kernel OOM-killed in it. */
  oomKills: number;
  /** Forks refused at pids.max. */
  pidsMaxHits: number;
  /** CPU time used, ns. */
  cpuNs: number;
  /** Memory charged now, bytes. */
  memoryBytes: number;
  /** CPU periods throttled by the quota. */
  throttled: number;
}

const ROOT = '/sys/fs/cgroup';
const CPU_PERIOD_US = 100_000;

type Layout = { version: 2; base: string } | { version: 1; bases: Record<'cpu' | 'cpuacct' | 'memory' | 'pids', string | undefined> };

let layout: Layout | null | undefined;

function read(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function tryWrite(file: string, value: string): boolean {
  try {
    writeFileSync(file, value);
    return true;
  } catch {
    return false;
  }
}

/** Where this process's own cgroups are, per controller ('' for v2's unified tree). */
function ownPaths(): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of (read('/proc/self/cgroup') ?? '').split('\n')) {
    const m = /^\d+:([^:]*):(.*)$/.exec(line);
    if (!m) continue;
    for (const c of m[1]!.split(',')) out.set(c, m[2]!);
  }
  return out;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes a folder of plugin cgroups and the (empty) cgroups in it; false when something still runs there. */
function removeTree(dir: string): boolean {
  let entries: string[] = [];
  try {
    entries = readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name);
  } catch {
    return true;
  }
  let ok = true;
  for (const e of entries) {
    try {
      rmdirSync(join(dir, e));
    } catch {
      ok = false;
    }
  }
  try {
    rmdirSync(dir);
  } catch {
    ok = false;
  }
  return ok;
}

/** The cgroup folders of gateways that are gone (killed before they could clean up). */
function sweepStale(parent: string): void {
  let names: string[] = [];
  try {
    names = readdirSync(parent).filter((n) => /^plugway-\d+$/.test(n));
  } catch {
    return;
  }
  for (const n of names) if (Number(n.slice(8)) !== process.pid && !alive(Number(n.slice(8)))) removeTree(join(parent, n));
}

const bases = new Set<string>();

/** A writable folder to make plugin cgroups in: under this process's own cgroup when possible, else the root. */
function writableBase(mount: string, own: string | undefined): string | undefined {
  const tag = `plugway-${process.pid}`;
  for (const parent of [own && own !== '/' ? join(mount, own) : undefined, mount]) {
    if (!parent || !existsSync(parent)) continue;
    const dir = join(parent, tag);
    try {
      sweepStale(parent);
      mkdirSync(dir, { recursive: true });
      if (bases.size === 0) process.once('exit', () => bases.forEach(removeTree));
      bases.add(dir);
      return dir;
    } catch {
      /* read-only or not ours: try the next */
    }
  }
  return undefined;
}

/** How cgroups can be used on this machine (computed once); null when none is writable. */
export function cgroupLayout(): Layout | null {
  if (layout !== undefined) return layout;
  const own = ownPaths();
  if (existsSync(join(ROOT, 'cgroup.controllers'))) {
    const base = writableBase(ROOT, own.get(''));
    if (base) {
      // Controllers must be enabled for the children of every folder down to ours.
      const parent = join(base, '..');
      tryWrite(join(parent, 'cgroup.subtree_control'), '+cpu +memory +pids');
      tryWrite(join(base, 'cgroup.subtree_control'), '+cpu +memory +pids');
    }
    layout = base ? { version: 2, base } : null;
    return layout;
  }
  const bases = { cpu: undefined, cpuacct: undefined, memory: undefined, pids: undefined } as Record<'cpu' | 'cpuacct' | 'memory' | 'pids', string | undefined>;
  const seen = new Map<string, string>();
  for (const c of ['cpu', 'cpuacct', 'memory', 'pids'] as const) {
    const mount = join(ROOT, c);
    if (!existsSync(mount)) continue;
    // cpu and cpuacct are often one hierarchy (cpu,cpuacct) behind two links
    const real = realpathSync(mount);
    bases[c] = seen.get(real) ?? writableBase(mount, own.get(c));
    if (bases[c]) seen.set(real, bases[c]!);
  }
  layout = Object.values(bases).some(Boolean) ? { version: 1, bases } : null;
  return layout;
}

/** A plugin process's cgroup: made before the process starts, removed after it ends. */
export class Cgroup {
  /** cgroup.procs files the starting process writes its pid to (one per v1 hierarchy). */
  readonly procsFiles: string[] = [];
  /** What actually holds (a limit whose file could not be written is missing here). */
  readonly holds: { cpu: boolean; memory: boolean; pids: boolean } = { cpu: false, memory: false, pids: false };
  private readonly dirs: string[] = [];

  private constructor(
    private readonly l: Layout,
    private readonly name: string,
  ) {}

  /** Makes the cgroup and sets the limits; undefined when no cgroup is writable here. */
  static create(name: string, limits: CgroupLimits): Cgroup | undefined {
    const l = cgroupLayout();
    if (!l) return undefined;
    const cg = new Cgroup(l, name);
    const make = (base: string) => {
      const dir = join(base, name);
      if (cg.dirs.includes(dir)) return dir;
      try {
        mkdirSync(dir);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') return undefined;
      }
      cg.dirs.push(dir);
      cg.procsFiles.push(join(dir, 'cgroup.procs'));
      return dir;
    };
    if (l.version === 2) {
      const dir = make(l.base);
      if (!dir) return undefined;
      if (limits.cpu) cg.holds.cpu = tryWrite(join(dir, 'cpu.max'), `${Math.max(1000, Math.round(limits.cpu * CPU_PERIOD_US))} ${CPU_PERIOD_US}`);
      if (limits.memoryBytes) {
        cg.holds.memory = tryWrite(join(dir, 'memory.max'), String(limits.memoryBytes));
        tryWrite(join(dir, 'memory.swap.max'), '0');
      }
      if (limits.pids) cg.holds.pids = tryWrite(join(dir, 'pids.max'), String(limits.pids));
      return cg;
    }
    const { bases } = l;
    const cpuDir = bases.cpu ? make(bases.cpu) : undefined;
    if (bases.cpuacct) make(bases.cpuacct);
    const memDir = bases.memory ? make(bases.memory) : undefined;
    const pidsDir = bases.pids ? make(bases.pids) : undefined;
    if (limits.cpu && cpuDir) {
      cg.holds.cpu = tryWrite(join(cpuDir, 'cpu.cfs_period_us'), String(CPU_PERIOD_US)) && tryWrite(join(cpuDir, 'cpu.cfs_quota_us'), String(Math.max(1000, Math.round(limits.cpu * CPU_PERIOD_US))));
    }
    if (limits.memoryBytes && memDir) {
      cg.holds.memory = tryWrite(join(memDir, 'memory.limit_in_bytes'), String(limits.memoryBytes));
      // no escape into swap (the file exists only with swap accounting on)
      tryWrite(join(memDir, 'memory.memsw.limit_in_bytes'), String(limits.memoryBytes));
    }
    if (limits.pids && pidsDir) cg.holds.pids = tryWrite(join(pidsDir, 'pids.max'), String(limits.pids));
    return cg;
  }

  private file(controller: 'cpu' | 'cpuacct' | 'memory' | 'pids', name: string): string | undefined {
    if (this.l.version === 2) return join(this.l.base, this.name, name);
    const base = this.l.bases[controller];
    return base ? join(base, this.name, name) : undefined;
  }

  private num(controller: 'cpu' | 'cpuacct' | 'memory' | 'pids', name: string, key?: string): number {
    const f = this.file(controller, name);
    const text = f ? read(f) : undefined;
    if (text === undefined) return 0;
    if (key === undefined) return Number(text.trim()) || 0;
    const m = new RegExp(`^${key} (\\d+)`, 'm').exec(text);
    return m ? Number(m[1]) : 0;
  }

  counters(): CgroupCounters {
    if (this.l.version === 2) {
      return {
        oomKills: this.num('memory', 'memory.events', 'oom_kill'),
        pidsMaxHits: this.num('pids', 'pids.events', 'max'),
        cpuNs: this.num('cpu', 'cpu.stat', 'usage_usec') * 1000,
        memoryBytes: this.num('memory', 'memory.current'),
        throttled: this.num('cpu', 'cpu.stat', 'nr_throttled'),
      };
    }
    return {
      oomKills: this.num('memory', 'memory.oom_control', 'oom_kill'),
      pidsMaxHits: this.num('pids', 'pids.events', 'max'),
      cpuNs: this.num('cpuacct', 'cpuacct.usage'),
      memoryBytes: this.num('memory', 'memory.usage_in_bytes'),
      throttled: this.num('cpu', 'cpu.stat', 'nr_throttled'),
    };
  }

  /** Pids still in it. */
  pids(): number[] {
    const f = this.procsFiles[0];
    return (f ? (read(f) ?? '') : '').split('\n').filter(Boolean).map(Number);
  }

  /** Kills everything left in it (a fork bomb's children included). */
  killAll(): void {
    if (this.l.version === 2 && tryWrite(join(this.l.base, this.name, 'cgroup.kill'), '1')) return;
    for (const pid of this.pids()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  }

  /** Removes the folders once empty; true when done (retry later otherwise). */
  remove(): boolean {
    let done = true;
    for (const dir of this.dirs) {
      try {
        rmdirSync(dir);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') done = false;
      }
    }
    return done;
  }
}
