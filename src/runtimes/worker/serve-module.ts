// The module a plugin thread starts with (plugin-worker, wasm-worker). From dist/ it is the sibling .js;
// in a checkout (.ts) it is bundled once per process to plain ESM so a thread need not register tsx (~200 ms each).

import { createHash } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface ServeModule {
  url: string;
  /** True when the thread must register tsx to import it (the bundler was not available). */
  typescript: boolean;
}

const bundles = new Map<string, Promise<ServeModule>>();

/**
 * The URL of `name` next to `base` that a worker thread can import without tsx. npm packages stay
 * external: the bundle is written under the checkout's node_modules/.cache so they still resolve.
 */
export function serveModule(base: string, name: string): Promise<ServeModule> {
  if (!base.endsWith('.ts')) return Promise.resolve({ url: new URL(`./${name}.js`, base).href, typescript: false });
  const source = new URL(`./${name}.ts`, base);
  let p = bundles.get(source.href);
  if (!p) {
    p = bundle(fileURLToPath(source), name).catch(() => ({ url: source.href, typescript: true }));
    bundles.set(source.href, p);
  }
  return p;
}

async function bundle(file: string, name: string): Promise<ServeModule> {
  // esbuild comes with tsx, which a checkout runs on; without it the caller falls back to tsx in the thread.
  const esbuild = await import('esbuild');
  const out = await esbuild.build({
    entryPoints: [file],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    write: false,
    logLevel: 'silent',
  });
  const code = out.outputFiles[0]!.contents;
  const hash = createHash('sha256').update(code).digest('hex').slice(0, 16);
  const dir = join(checkoutRoot(file), 'node_modules', '.cache', 'plugway-workers');
  const target = join(dir, `${name}-${hash}.mjs`);
  await mkdir(dir, { recursive: true });
  // Named by content and renamed into place: processes bundling at once never see a partial file.
  const tmp = `${target}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  await writeFile(tmp, code);
  await rename(tmp, target);
  return { url: pathToFileURL(target).href, typescript: false };
}

/** src/runtimes/<x>/file.ts → the checkout root (where node_modules is). */
function checkoutRoot(file: string): string {
  return dirname(dirname(dirname(dirname(file))));
}
