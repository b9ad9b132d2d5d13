// Plugins outside this package import `plugway/sdk` (and `plugway`) with no node_modules of their
// own: a folder in /srv/plugins or a temp dir has nowhere to find it. A module resolve hook answers
// those two specifiers with this plugway's own modules when Node's resolution finds nothing (a
// plugin that brings its own plugway keeps it). Registered once per thread: worker threads run
// registerSdkResolutionSource() in their bootstrap, since hooks do not reach them from the main thread.
import { existsSync } from 'node:fs';
import { register } from 'node:module';
import { fileURLToPath } from 'node:url';

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

/** Code (for a worker's eval bootstrap) that does the same. */
export function registerSdkResolutionSource(urls: Record<string, string>): string {
  const hook = `data:text/javascript,${encodeURIComponent(hookSource(urls))}`;
  return `(await import('node:module')).register(${JSON.stringify(hook)}); ((urls) => {${PATCH_REQUIRE_BODY}})(${JSON.stringify(urls)});`;
}
