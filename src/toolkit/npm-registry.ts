// The npm registry as plugway's marketplace: packuments, version choice, tarball download checked
// against its `dist.integrity` (SRI), and search by the `plugway-plugin` keyword. HTTP through undici.

import { createHash } from 'node:crypto';
import { request } from 'undici';
import semver from 'semver';
import { PlugwayError, reasonOf } from '../errors.js';

export const DEFAULT_NPM_REGISTRY = 'https://registry.npmjs.org/';
/** The keyword that makes an npm package a plugway plugin in `plugway plugin search`. */
export const PLUGIN_KEYWORD = 'plugway-plugin';

/** --registry, else $PLUGWAY_NPM_REGISTRY, else npm's own setting ($npm_config_registry), else npmjs.org. */
export function registryUrl(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  const url = flag ?? env.PLUGWAY_NPM_REGISTRY ?? env.npm_config_registry ?? DEFAULT_NPM_REGISTRY;
  return url.endsWith('/') ? url : `${url}/`;
}

export interface NpmVersion {
  name: string;
  version: string;
  description?: string;
  keywords?: string[];
  scripts?: Record<string, string>;
  dependencies?: Record<string, string>;
  gypfile?: boolean;
  hasInstallScript?: boolean;
  dist: { tarball: string; integrity?: string; shasum?: string };
}

export interface Packument {
  name: string;
  'dist-tags'?: Record<string, string>;
  versions: Record<string, NpmVersion>;
}

/** `npm:<name>[@range]` (or `<name>[@range]`), scoped names included. */
export function parseNpmSpec(spec: string): { name: string; range: string } {
  const s = spec.replace(/^npm:/, '');
  const at = s.indexOf('@', 1);
  const name = at < 0 ? s : s.slice(0, at);
  const range = at < 0 ? 'latest' : s.slice(at + 1) || 'latest';
  if (!/^(@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*$/i.test(name)) {
    throw new PlugwayError('PLW_ERR_CLI_USAGE', { reason: `"${spec}" is not an npm package spec; write npm:<package>[@range], e.g. npm:hello-plugin@^1.0.0` });
  }
  return { name, range };
}

async function get(registry: string, url: string, what: string, timeoutMs: number): Promise<{ status: number; body: Buffer }> {
  try {
    const res = await request(url, { headers: { accept: 'application/json' }, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
    return { status: res.statusCode, body: Buffer.from(await res.body.arrayBuffer()) };
  } catch (err) {
    throw new PlugwayError('PLW_ERR_NPM_REGISTRY', { registry, what, reason: reasonOf(err) });
  }
}

export class NpmRegistry {
  readonly url: string;
  private readonly timeoutMs: number;

  constructor(url: string, options: { timeoutMs?: number } = {}) {
    this.url = url.endsWith('/') ? url : `${url}/`;
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  async packument(name: string): Promise<Packument> {
    const path = name.startsWith('@') ? `@${encodeURIComponent(name.slice(1))}` : encodeURIComponent(name);
    const { status, body } = await get(this.url, `${this.url}${path}`, `for ${name}`, this.timeoutMs);
    if (status === 404) throw new PlugwayError('PLW_ERR_NPM_VERSION_NOT_FOUND', { name, range: 'any', registry: this.url, versions: 'none: no such package' });
    if (status !== 200) throw new PlugwayError('PLW_ERR_NPM_REGISTRY', { registry: this.url, what: `for ${name}`, reason: `HTTP ${status}` });
    return JSON.parse(body.toString('utf8')) as Packument;
  }

  /** The version a range (or dist-tag) picks: the highest that satisfies it. */
  pick(p: Packument, range: string): NpmVersion {
    const tagged = p['dist-tags']?.[range];
    const versions = Object.keys(p.versions ?? {});
    const chosen = tagged ?? semver.maxSatisfying(versions, range);
    const v = chosen ? p.versions[chosen] : undefined;
    if (!v) throw new PlugwayError('PLW_ERR_NPM_VERSION_NOT_FOUND', { name: p.name, range, registry: this.url, versions: versions.join(', ') || 'none' });
    return v;
  }

  /** The tarball's bytes, checked against dist.integrity (else dist.shasum); never unchecked. */
  async tarball(v: NpmVersion): Promise<Buffer> {
    const { status, body } = await get(this.url, v.dist.tarball, `with the tarball of ${v.name}@${v.version}`, this.timeoutMs);
    if (status !== 200) throw new PlugwayError('PLW_ERR_NPM_REGISTRY', { registry: this.url, what: `with ${v.dist.tarball}`, reason: `HTTP ${status}` });
    checkIntegrity(body, v);
    return body;
  }

  /** Packages with the plugway-plugin keyword that match `words` (all of them when none). */
  async search(words: string, size = 50): Promise<SearchHit[]> {
    const ask = async (text: string): Promise<SearchHit[]> => {
      const url = `${this.url}-/v1/search?text=${encodeURIComponent(text)}&size=${size}`;
      const { status, body } = await get(this.url, url, 'a search', this.timeoutMs);
      if (status !== 200) throw new PlugwayError('PLW_ERR_NPM_REGISTRY', { registry: this.url, what: 'a search', reason: `HTTP ${status}` });
      const r = JSON.parse(body.toString('utf8')) as { objects?: Array<{ package: SearchHit & { 'dist-tags'?: Record<string, string> } }> };
      // npmjs.org names the version; Verdaccio gives dist-tags instead
      return (r.objects ?? []).map(({ package: { 'dist-tags': tags, ...hit } }) => ({ ...hit, version: hit.version ?? tags?.latest ?? '' }));
    };
    const keyword = `keywords:${PLUGIN_KEYWORD}`;
    // npmjs.org understands the keywords: qualifier; registries that do not (Verdaccio matches names
    // and descriptions) get the words alone, then an empty text (all packages), filtered here
    let hits = await ask(words ? `${words} ${keyword}` : keyword);
    for (const text of words ? [words, ''] : ['']) {
      if (hits.some((h) => h.keywords?.includes(PLUGIN_KEYWORD))) break;
      hits = await ask(text).catch(() => []);
    }
    const terms = words.toLowerCase().split(/\s+/).filter(Boolean);
    return hits.filter((h) => h.keywords?.includes(PLUGIN_KEYWORD) && terms.every((t) => `${h.name} ${h.description ?? ''} ${(h.keywords ?? []).join(' ')}`.toLowerCase().includes(t)));
  }
}

export interface SearchHit {
  name: string;
  version: string;
  description?: string;
  keywords?: string[];
  date?: string;
}

/** Subresource Integrity (sha512-…, several allowed: the strongest known one must match). */
export function checkIntegrity(data: Buffer, v: NpmVersion): void {
  const file = `${v.name}@${v.version}`;
  if (v.dist.integrity) {
    const known = v.dist.integrity
      .split(/\s+/)
      .map((sri) => /^(sha512|sha384|sha256|sha1)-([A-Za-z0-9+/=]+)$/.exec(sri))
      .filter((m): m is RegExpExecArray => m !== null);
    const order = ['sha512', 'sha384', 'sha256', 'sha1'];
    known.sort((a, b) => order.indexOf(a[1]!) - order.indexOf(b[1]!));
    const best = known[0];
    if (best) {
      if (createHash(best[1]!).update(data).digest('base64') !== best[2]) {
        throw new PlugwayError('PLW_ERR_INTEGRITY_MISMATCH', { file, entry: `the tarball (dist.integrity ${best[1]})` });
      }
      return;
    }
  }
  if (v.dist.shasum) {
    if (createHash('sha1').update(data).digest('hex') !== v.dist.shasum) throw new PlugwayError('PLW_ERR_INTEGRITY_MISMATCH', { file, entry: 'the tarball (dist.shasum)' });
    return;
  }
  throw new PlugwayError('PLW_ERR_PACKAGE_INVALID', { file, reason: 'the registry gives no dist.integrity nor dist.shasum to check the tarball against' });
}

/** The lifecycle scripts npm runs at install time that a package declares (binding.gyp implies one). */
export function installScriptsOf(v: Pick<NpmVersion, 'scripts' | 'gypfile' | 'hasInstallScript'>): string[] {
  const s = ['preinstall', 'install', 'postinstall'].filter((k) => typeof v.scripts?.[k] === 'string');
  if (s.length === 0 && v.gypfile) s.push('install (node-gyp)');
  else if (s.length === 0 && v.hasInstallScript) s.push('install');
  return s;
}
