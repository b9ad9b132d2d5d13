// Runs a plugin's own build (build.mjs, as `plugway plugin create` writes it) and tells whether
// its output is stale, so that `plugin test` and `plugin pack` build only when needed.

import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PlugwayError } from '../errors.js';

/** This plugway's package folder (src/toolkit or dist/toolkit → two up). */
const PLUGWAY_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface BuildResult {
  built: boolean;
  durationMs: number;
  output: string;
}

function newestMtime(dir: string): number {
  let t = 0;
  if (!existsSync(dir)) return t;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return t;
}

/** Whether `entry` is missing or older than anything under src/ (or build.mjs). */
export function isStale(dir: string, entry: string | undefined): boolean {
  if (!entry) return true;
  const out = join(dir, entry);
  if (!existsSync(out)) return true;
  const outTime = statSync(out).mtimeMs;
  const script = join(dir, 'build.mjs');
  return newestMtime(join(dir, 'src')) > outTime || (existsSync(script) && statSync(script).mtimeMs > outTime);
}

/** Runs `node build.mjs` in `dir`. No build.mjs: nothing to do. Throws PLW_ERR_PLUGIN_BUILD_FAILED with the output. */
export async function buildPlugin(dir: string, options: { entry?: string; force?: boolean } = {}): Promise<BuildResult> {
  const script = join(dir, 'build.mjs');
  if (!existsSync(script) || (!options.force && !isStale(dir, options.entry))) {
    return { built: false, durationMs: 0, output: '' };
  }
  const started = performance.now();
  // The plugway running this is the build's fallback for compilers and SDK types (plugway-tools.mjs).
  const env = { ...process.env, PLUGWAY_ROOT: process.env.PLUGWAY_ROOT || PLUGWAY_ROOT };
  const child = spawn(process.execPath, [script], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  if (code !== 0) {
    throw new PlugwayError('PLW_ERR_PLUGIN_BUILD_FAILED', { dir, code: code ?? 'signal', output: output.trim() });
  }
  return { built: true, durationMs: performance.now() - started, output };
}
