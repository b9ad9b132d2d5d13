// The bubblewrap sandbox of a process plugin: what it sees (its own folder read-only, the system's
// /usr read-only, a private /tmp), what it has not (network, other processes, the environment, home,
// the state dir), and the check that bwrap works here at all.

import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, readlinkSync } from 'node:fs';
import { delimiter, dirname, join, relative, resolve, sep } from 'node:path';

/** Where a plugin's folder and the Python SDK appear inside the sandbox. */
export const SANDBOX_PLUGIN_DIR = '/plugin';
export const SANDBOX_SDK_DIR = '/opt/plugway/python';
/** Tmpfs size when resources.disk is not set, MB. */
export const DEFAULT_DISK_MB = 64;
/** The unprivileged user (nobody) the plugin runs as inside its user namespace. */
const NOBODY = '65534';

/** An absolute path to `name` on PATH (or as given when it has a slash); undefined when not found. */
export function which(name: string, path = process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin'): string | undefined {
  if (name.includes('/')) return existsSync(name) ? resolve(name) : undefined;
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, name);
    if (existsSync(p)) return p;
  }
  return undefined;
}

/** The bwrap binary: PLUGWAY_BWRAP when set (tests point it elsewhere), else bwrap on PATH. */
export function bwrapPath(): string | undefined {
  const forced = process.env.PLUGWAY_BWRAP;
  if (forced !== undefined) return existsSync(forced) ? forced : undefined;
  return which('bwrap');
}

let probed: { path: string; error?: undefined } | { path?: string; error: string } | undefined;

/** Whether bwrap runs here with the namespaces plugway asks for (checked once); the reason when not. */
export function sandboxProblem(): string | undefined {
  const path = bwrapPath();
  if (probed && probed.path === path) return probed.error;
  if (!path) {
    probed = { error: 'bwrap was not found on PATH' + (process.env.PLUGWAY_BWRAP !== undefined ? ` (PLUGWAY_BWRAP=${process.env.PLUGWAY_BWRAP})` : '') };
    return probed.error;
  }
  const r = spawnSync(path, [...systemBinds(), '--unshare-all', '--unshare-user', '--uid', NOBODY, '--gid', NOBODY, '--die-with-parent', '--proc', '/proc', '--dev', '/dev', '/usr/bin/true'], {
    env: {},
    timeout: 10_000,
    encoding: 'utf8',
  });
  if (r.error) probed = { path, error: `running ${path} failed: ${r.error.message}` };
  else if (r.status !== 0) probed = { path, error: `${path} could not create namespaces (exit ${r.status}): ${(r.stderr || '').trim() || 'no message'}` };
  else probed = { path };
  return probed.error;
}

/** /usr read-only, and /bin, /lib, /lib64, /sbin as they are on the host (links into /usr, or folders). */
function systemBinds(): string[] {
  const out = ['--ro-bind', '/usr', '/usr'];
  for (const p of ['/bin', '/lib', '/lib64', '/lib32', '/sbin']) {
    let st;
    try {
      st = lstatSync(p);
    } catch {
      continue;
    }
    if (st.isSymbolicLink()) out.push('--symlink', readlinkSync(p), p);
    else if (st.isDirectory()) out.push('--ro-bind', p, p);
  }
  // The dynamic linker's cache (no other file of /etc: not passwd, not hosts).
  if (existsSync('/etc/ld.so.cache')) out.push('--ro-bind', '/etc/ld.so.cache', '/etc/ld.so.cache');
  return out;
}

export interface SandboxSpec {
  pluginDir: string;
  /** The Python SDK's folder on the host, bound when the plugin runs Python. */
  sdkDir?: string;
  /** Host folders the program needs besides /usr (an interpreter installed elsewhere), bound read-only. */
  extraReadOnly: string[];
  /** Variables the plugin may see (permissions.env, resolved). */
  env: Record<string, string>;
  /** Size of the private /tmp, MB. */
  diskMb: number;
}

/** A host path inside the plugin's folder as the sandbox sees it (other paths are unchanged). */
export function insideSandbox(hostPath: string, spec: Pick<SandboxSpec, 'pluginDir' | 'sdkDir'>): string {
  for (const [from, to] of [
    [spec.pluginDir, SANDBOX_PLUGIN_DIR],
    [spec.sdkDir, SANDBOX_SDK_DIR],
  ] as const) {
    if (!from) continue;
    const rel = relative(from, hostPath);
    if (rel === '') return to;
    if (!rel.startsWith('..') && !rel.startsWith(sep) && !rel.includes(`..${sep}`)) return `${to}/${rel.split(sep).join('/')}`;
  }
  return hostPath;
}

/** bwrap's arguments up to (not including) the program to run. */
export function bwrapArgs(spec: SandboxSpec): string[] {
  const args = [
    ...systemBinds(),
    '--proc',
    '/proc',
    '--dev',
    '/dev',
    '--size',
    String(Math.max(1, Math.round(spec.diskMb * 1024 * 1024))),
    '--tmpfs',
    '/tmp',
    '--ro-bind',
    spec.pluginDir,
    SANDBOX_PLUGIN_DIR,
  ];
  if (spec.sdkDir) args.push('--ro-bind', spec.sdkDir, SANDBOX_SDK_DIR);
  for (const dir of spec.extraReadOnly) if (!dir.startsWith('/usr/')) args.push('--ro-bind', dir, dir);
  args.push(
    // every namespace: no network but a loopback of its own, its own PIDs, IPC, hostname and cgroup view
    '--unshare-all',
    '--unshare-user',
    '--uid',
    NOBODY,
    '--gid',
    NOBODY,
    '--hostname',
    'plugway-sandbox',
    '--die-with-parent',
    // its own session: it cannot push keystrokes into the gateway's terminal (TIOCSTI)
    '--new-session',
    '--cap-drop',
    'ALL',
    '--chdir',
    SANDBOX_PLUGIN_DIR,
    '--clearenv',
  );
  for (const [k, v] of Object.entries(spec.env)) args.push('--setenv', k, v);
  args.push('--');
  return args;
}

/** The folder an interpreter lives in, when it is outside /usr (it has to be bound into the sandbox). */
export function installPrefix(executable: string): string | undefined {
  if (executable.startsWith('/usr/')) return undefined;
  // /opt/python/3.11/bin/python3 → /opt/python/3.11
  const bin = dirname(executable);
  return bin.endsWith('/bin') ? dirname(bin) : bin;
}
