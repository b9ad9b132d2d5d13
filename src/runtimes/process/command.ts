// What a process plugin runs: a .py entry under python3 with plugway's SDK, a .js/.mjs entry under
// node, an executable entry as is, or runtime.command as given; and the small shell step that puts
// the process in its cgroup and under its rlimits before bwrap (or the program) starts.

import { accessSync, constants, existsSync, realpathSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PlugwayError } from '../../errors.js';
import type { PluginManifest } from '../../manifest/types.js';
import { installPrefix, insideSandbox, which } from './sandbox.js';

/** The Python SDK shipped in the package: sdk/python (its `plugway` package inside). */
export function pythonSdkDir(): string {
  // src/runtimes/process/command.ts and dist/runtimes/process/command.js are both three levels below the root
  return resolve(dirname(fileURLToPath(import.meta.url)), '../../../sdk/python');
}

/**
 * The python3 to run: PLUGWAY_PYTHON, else the system's /usr/bin/python3 (a python3 under a home
 * folder, such as pyenv's shim, would need the home folder in the sandbox), else python3 on PATH.
 */
export function pythonPath(): string | undefined {
  const forced = process.env.PLUGWAY_PYTHON;
  if (forced) return which(forced);
  for (const p of ['/usr/bin/python3', '/usr/local/bin/python3']) if (existsSync(p)) return p;
  const found = which('python3');
  return found ? realpathSync(found) : undefined;
}

export interface Launch {
  /** Program and arguments as the sandbox sees them. */
  argv: string[];
  /** Host folders to bind read-only besides /usr (an interpreter's install prefix). */
  extraReadOnly: string[];
  /** The Python SDK folder, when the program is Python. */
  sdkDir?: string;
  python: boolean;
}

function isExecutable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/** Runs the Python SDK's loop on the plugin module: isolated mode (no PYTHON* variables, no user site), no .pyc writes. */
const PY_BOOT = 'import sys; sys.path[0:0] = [sys.argv[1]]; from plugway._runner import main; main(sys.argv[2])';

/**
 * How to start the plugin, with paths as seen inside the sandbox when `sandboxed` (the plugin's folder
 * at /plugin, the SDK at /opt/plugway/python). Throws PLW_ERR_PROCESS_COMMAND.
 */
export function launchOf(manifest: PluginManifest, entryPath: string | undefined, pluginDir: string, sandboxed: boolean): Launch {
  const id = manifest.id;
  const sdk = pythonSdkDir();
  const map = (p: string) => (sandboxed ? insideSandbox(p, { pluginDir, sdkDir: sdk }) : p);
  const fail = (command: string, reason: string) => new PlugwayError('PLW_ERR_PROCESS_COMMAND', { id, command, reason });
  const program = (name: string): { path: string; extra: string[] } => {
    if (name.includes('/')) {
      const p = resolve(pluginDir, name);
      if (!isExecutable(p)) throw fail(name, `${p} is not an executable file (chmod +x it, or name an interpreter first)`);
      return { path: p, extra: [] };
    }
    const found = name === 'python3' || name === 'python' ? pythonPath() : name === 'node' ? process.execPath : which(name);
    if (!found) throw fail(name, `${name} was not found on PATH`);
    const prefix = installPrefix(realpathSync(found));
    return { path: realpathSync(found), extra: prefix ? [prefix] : [] };
  };

  if (manifest.runtime.command?.length) {
    const [first, ...rest] = manifest.runtime.command;
    const prog = program(first!);
    const isPython = /(^|\/)python3?(\.\d+)?$/.test(first!);
    // arguments that name files in the plugin's folder are given as the sandbox sees them
    const args = rest.map((a) => (!a.startsWith('-') && existsSync(resolve(pluginDir, a)) ? map(resolve(pluginDir, a)) : a));
    return { argv: [map(prog.path), ...args], extraReadOnly: prog.extra, python: isPython };
  }
  if (!entryPath) throw fail('(none)', 'set runtime.entry (a .py file or an executable) or runtime.command in plugin.yaml');
  if (entryPath.endsWith('.py')) {
    const py = program('python3');
    return { argv: [py.path, '-I', '-B', '-X', 'utf8', '-c', PY_BOOT, map(sdk), map(entryPath)], extraReadOnly: py.extra, sdkDir: sdk, python: true };
  }
  if (/\.[mc]?js$/.test(entryPath)) {
    const node = program('node');
    return { argv: [node.path, map(entryPath)], extraReadOnly: node.extra, python: false };
  }
  if (!isExecutable(entryPath)) throw fail(entryPath, 'it is not a .py file, a .js file or an executable (chmod +x it)');
  return { argv: [map(entryPath)], extraReadOnly: [], python: false };
}

/**
 * The first program the runtime spawns (/bin/sh): it moves itself into the plugin's cgroup, sets the
 * rlimits, then execs bwrap (or the plugin). Children inherit both, so nothing the plugin starts
 * escapes them. Arguments: cgroup.procs files joined by ':', RLIMIT_CPU s, RLIMIT_DATA KiB, program...
 */
export const CONFINE_SCRIPT =
  'cg=$1; cpu=$2; data=$3; shift 3; ' +
  'if [ -n "$cg" ]; then IFS=:; for f in $cg; do echo $$ > "$f" || exit 97; done; unset IFS; fi; ' +
  '[ -z "$cpu" ] || ulimit -t "$cpu" || exit 98; ' +
  '[ -z "$data" ] || ulimit -d "$data" || exit 98; ' +
  'exec "$@"';
