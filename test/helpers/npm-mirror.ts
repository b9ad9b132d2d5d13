// A read-only npm registry on loopback that serves the packages of this checkout's node_modules
// (the versions package-lock.json resolved), so that tests can `npm install` plugway's packed
// tarball, and a scaffolded plugin its build tools, without reaching the public registry.
// Tarballs are made from the installed folders on first request; their integrity is computed here.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import semver from 'semver';
import * as tar from 'tar';

export interface NpmMirror {
  url: string;
  /** Package names asked for and not found (optional dependencies of other platforms, typically). */
  missing: Set<string>;
  close(): Promise<void>;
}

interface Entry {
  dir: string;
  manifest: Record<string, unknown> & { name: string; version: string };
  tarball?: Promise<{ data: Buffer; integrity: string; shasum: string }>;
}

/** name → version → where it is installed, from node_modules/.package-lock.json of `root`. */
function index(root: string): Map<string, Map<string, Entry>> {
  const lock = JSON.parse(readFileSync(join(root, 'node_modules', '.package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string; link?: boolean }> };
  const out = new Map<string, Map<string, Entry>>();
  for (const [path, p] of Object.entries(lock.packages)) {
    if (!path.includes('node_modules/') || p.link || !p.version) continue;
    const dir = join(root, path);
    let manifest: Entry['manifest'];
    try {
      manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Entry['manifest'];
    } catch {
      continue; // an optional dependency of another platform is listed but not installed
    }
    const versions = out.get(manifest.name) ?? new Map<string, Entry>();
    versions.set(manifest.version, { dir, manifest });
    out.set(manifest.name, versions);
  }
  return out;
}

async function pack(dir: string): Promise<{ data: Buffer; integrity: string; shasum: string }> {
  const top = readdirSync(dir).filter((f) => f !== 'node_modules');
  const stream = tar.c({ gzip: true, cwd: dir, prefix: 'package', portable: true, filter: (p) => !/(^|\/)node_modules(\/|$)/.test(p) }, top);
  const chunks: Buffer[] = [];
  for await (const c of stream as AsyncIterable<Buffer>) chunks.push(c);
  const data = Buffer.concat(chunks);
  return { data, integrity: `sha512-${createHash('sha512').update(data).digest('base64')}`, shasum: createHash('sha1').update(data).digest('hex') };
}

export async function startNpmMirror(root: string): Promise<NpmMirror> {
  const packages = index(root);
  const missing = new Set<string>();
  let url = '';
  const server: Server = createServer((req, res) => {
    void (async () => {
      const path = decodeURIComponent((req.url ?? '/').split('?')[0]!.slice(1));
      const tgz = /^-\/tarballs\/(.+)\/([^/]+)\.tgz$/.exec(path);
      if (tgz) {
        const e = packages.get(tgz[1]!)?.get(tgz[2]!);
        if (!e) return void res.writeHead(404).end();
        e.tarball ??= pack(e.dir);
        const t = await e.tarball;
        return void res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': t.data.length }).end(t.data);
      }
      const versions = packages.get(path);
      if (!versions) {
        missing.add(path);
        return void res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
      }
      const doc: { name: string; 'dist-tags': Record<string, string>; versions: Record<string, unknown> } = { name: path, 'dist-tags': {}, versions: {} };
      let latest = '';
      for (const [v, e] of versions) {
        e.tarball ??= pack(e.dir);
        const t = await e.tarball;
        doc.versions[v] = { ...e.manifest, dist: { tarball: `${url}-/tarballs/${path}/${v}.tgz`, integrity: t.integrity, shasum: t.shasum } };
        if (!latest || semver.gt(v, latest)) latest = v;
      }
      doc['dist-tags'].latest = latest;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(doc));
    })().catch((err: unknown) => res.writeHead(500).end(String(err)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  return {
    url,
    missing,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
