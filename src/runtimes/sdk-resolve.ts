// Plugins outside this package import `plugway/sdk` (and `plugway`) with no node_modules of their
// own: a folder in /srv/plugins or a temp dir has nowhere to find it. A module resolve hook answers
// those two specifiers with this plugway's own modules when Node's resolution finds nothing (a
// plugin that brings its own plugway keeps it). Registered once per thread: worker threads run
// registerSdkResolutionSource() in their bootstrap, since hooks do not reach them from the main thread.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { register } from 'node:module';
import { fileURLToPath } from 'node:url';
import { listPluginFiles } from '../manifest/plugin-files.js';

/** The URLs `plugway` and `plugway/sdk` stand for here: the built dist/, else the sources (run through tsx). */
export function sdkModuleUrls(): Record<string, string> {
  const here = import.meta.url;
  const built = new URL(here.endsWith('.ts') ? '../../dist/' : '../', here);
  const base = here.endsWith('.ts') && !existsSync(fileURLToPath(new URL('sdk/index.js', built))) ? new URL('../', here) : built;
  const ext = base === built ? '.js' : '.ts';
  return { plugway: new URL(`index${ext}`, base).href, 'plugway/sdk': new URL(`sdk/index${ext}`, base).href };
}

function hookSource(urls: Record<string, string>): string {
  return `const urls = ${JSON.stringify(urls)};
export async function resolve(specifier, context, next) {
  const url = urls[specifier];
  if (url === undefined) return next(specifier, context);
  try {
    return await next(specifier, context);
  } catch {
    return { url, format: 'module', shortCircuit: true };
  }
}`;
}

/**
 * The same for require(): a TypeScript entry outside a "type": "module" package is compiled to
 * CommonJS by tsx, so its imports become require() calls that no ESM hook sees. Kept as source
 * text: worker threads run it too, and a compiled function's text may name compiler helpers.
 */
const PATCH_REQUIRE_BODY = `
  const Module = process.getBuiltinModule('node:module');
  const { fileURLToPath } = process.getBuiltinModule('node:url');
  const original = Module._resolveFilename;
  Module._resolveFilename = function (request, ...rest) {
    try {
      return original.call(this, request, ...rest);
    } catch (err) {
      const url = urls[request];
      if (url === undefined) throw err;
      return fileURLToPath(url);
    }
  };`;

let registered = false;

/** Registers the hook and the require() fallback in this thread (once). */
export function ensureSdkResolution(): void {
  if (registered) return;
  registered = true;
  const urls = sdkModuleUrls();
  register(`data:text/javascript,${encodeURIComponent(hookSource(urls))}`);
  (new Function('urls', PATCH_REQUIRE_BODY) as (u: Record<string, string>) => void)(urls);
}

/**
 * Registers them before `entryPath` is imported in this thread when its plugin needs them
 * (needsSdkResolution). A registered module hook routes every later import through a hooks thread:
 * 1,000 trivial in-process plugins started ~0.3 s slower and took 30 MB more with it.
 */
export async function ensureSdkResolutionFor(entryPath: string): Promise<void> {
  if (!registered && (await needsSdkResolution(entryPath))) ensureSdkResolution();
}

/** Code (for a worker's eval bootstrap) that does the same. */
export function registerSdkResolutionSource(urls: Record<string, string>): string {
  const hook = `data:text/javascript,${encodeURIComponent(hookSource(urls))}`;
  return `(await import('node:module')).register(${JSON.stringify(hook)}); ((urls) => {${PATCH_REQUIRE_BODY}})(${JSON.stringify(urls)});`;
}

// A run-time import of plugway: `from 'plugway/sdk'`, `import('plugway')`, `require("plugway/sdk")`,
// `import 'plugway'`. Type-only imports are erased before they run and are removed first.
const RUNTIME_IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|\bimport\s+)["'`]plugway(?:\/sdk)?["'`]/;
const TYPE_ONLY = /\b(?:import|export)\s+type\s[^;]*?from\s*["'][^"']*["']/g;
const SOURCE_FILE = /\.(?:[cm]?js|[cm]?ts|[jt]sx)$/;
const SCAN_MAX_BYTES = 32 * 1024 * 1024;

const importsPlugway = (text: string): boolean => text.includes('plugway') && RUNTIME_IMPORT.test(text.replace(TYPE_ONLY, ''));

/**
 * Whether a worker thread serving this plugin needs the `plugway`/`plugway/sdk` resolve hook: in
 * Node 20 a thread that registers a module hook starts a second (hooks) thread, which doubled a
 * worker's start (62 → 125 ms for a trivial thread on a loaded 2-CPU machine). The hook is needed
 * only when the plugin's own files import plugway at run time (scaffolded plugins import its types
 * only). The files read are the plugin folder's as kept versions list them (listPluginFiles: no
 * node_modules, no dot files), the folder being the entry's, up to the nearest plugin.yaml or
 * package.json three levels up at most. A folder too large to read, or unreadable, gets the hook.
 */
export async function needsSdkResolution(entryPath: string): Promise<boolean> {
  // Read synchronously: a trivial plugin's folder costs ~0.02 ms so, ~0.1 ms through fs/promises (x 1,000 at start-up).
  try {
    // The entry first: it is the file that imports plugway when one does.
    if (importsPlugway(readFileSync(entryPath, 'utf8'))) return true;
    const root = pluginRootOf(entryPath);
    const { files } = listPluginFiles({ dir: root });
    let bytes = 0;
    for (const f of files) {
      const file = join(root, f);
      if (!SOURCE_FILE.test(f) || file === entryPath) continue;
      const text = readFileSync(file, 'utf8');
      bytes += text.length;
      if (bytes > SCAN_MAX_BYTES || importsPlugway(text)) return true;
    }
    return false;
  } catch {
    return true;
  }
}

function pluginRootOf(entryPath: string): string {
  for (let dir = dirname(entryPath), up = 0; up <= 3; up++, dir = dirname(dir)) {
    if (['plugin.yaml', 'plugin.yml', 'package.json'].some((f) => existsSync(join(dir, f)))) return dir;
    if (dirname(dir) === dir) break;
  }
  return dirname(entryPath);
}
