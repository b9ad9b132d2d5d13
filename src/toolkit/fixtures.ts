// A plugin's sample calls (fixtures.json / fixtures.yaml): HTTP requests to its endpoints or
// direct method calls, each with the answer expected as a subset of what comes back.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { PlugwayError } from '../errors.js';
import type { EndpointSpec } from '../manifest/types.js';
import type { PluginRequest } from '../sdk/types.js';

export const FIXTURE_FILES = ['fixtures.json', 'fixtures.yaml', 'fixtures.yml'];

export interface RequestSpec {
  method?: string;
  path?: string;
  query?: Record<string, string | string[]>;
  headers?: Record<string, string>;
  body?: unknown;
}

export interface Fixture {
  name: string;
  /** A request to one of the plugin's endpoints (goes to handleRequest). */
  request?: RequestSpec;
  /** A direct call: method, optional request (prepended as a PluginRequest) and args. */
  call?: { method: string; request?: RequestSpec; args?: unknown[] };
  expect: {
    status?: number;
    body?: unknown;
    headers?: Record<string, string>;
    /** Expected return value of a call (subset); null matches null and undefined. */
    result?: unknown;
    /** The call must fail: an error code (PLW_ERR_…) or a part of the message. */
    error?: string;
  };
}

export function findFixtureFile(dir: string): string | undefined {
  return FIXTURE_FILES.map((f) => join(dir, f)).find((f) => existsSync(f));
}

export function loadFixtures(dir: string): { file?: string; fixtures: Fixture[] } {
  const file = findFixtureFile(dir);
  if (!file) return { fixtures: [] };
  let raw: unknown;
  try {
    const text = readFileSync(file, 'utf8');
    raw = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new PlugwayError('PLW_ERR_FIXTURES_INVALID', { file, path: '(file)', reason: (err as Error).message });
  }
  const list = Array.isArray(raw) ? raw : (raw as { fixtures?: unknown })?.fixtures;
  if (!Array.isArray(list)) throw new PlugwayError('PLW_ERR_FIXTURES_INVALID', { file, path: '(top)', reason: 'expected a list of fixtures (or { fixtures: [...] })' });
  const bad = (i: number, field: string, reason: string) => new PlugwayError('PLW_ERR_FIXTURES_INVALID', { file, path: `[${i}]${field}`, reason });
  list.forEach((f: Partial<Fixture>, i) => {
    if (!f || typeof f !== 'object') throw bad(i, '', 'expected an object');
    if (typeof f.name !== 'string') throw bad(i, '.name', 'required string');
    if (!f.request === !f.call) throw bad(i, '', 'give exactly one of request or call');
    if (f.request && typeof f.request.path !== 'string') throw bad(i, '.request.path', 'required string');
    if (f.call && typeof f.call.method !== 'string') throw bad(i, '.call.method', 'required string');
    if (f.call?.args !== undefined && !Array.isArray(f.call.args)) throw bad(i, '.call.args', 'expected a list');
    f.expect ??= {};
  });
  return { file, fixtures: list as Fixture[] };
}

function pattern(path: string): { re: RegExp; names: string[] } {
  const names: string[] = [];
  const src = path.split(/(\{[^}]+\})/).map((part) => {
    const m = /^\{([^}]+)\}$/.exec(part);
    if (m) {
      names.push(m[1]!);
      return '([^/]+)';
    }
    return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  });
  return { re: new RegExp(`^${src.join('')}/?$`), names };
}

/** The endpoint a request hits, and the path parameters it binds. */
export function matchEndpoint(endpoints: readonly EndpointSpec[], method: string, path: string): { endpoint: EndpointSpec; params: Record<string, string> } | undefined {
  const pathname = path.split('?')[0]!;
  for (const endpoint of endpoints) {
    if (endpoint.method !== method.toUpperCase()) continue;
    const { re, names } = pattern(endpoint.path);
    const m = re.exec(pathname);
    if (!m) continue;
    const params: Record<string, string> = {};
    names.forEach((n, i) => (params[n] = decodeURIComponent(m[i + 1]!)));
    return { endpoint, params };
  }
  return undefined;
}

/** A full PluginRequest from a fixture's partial one. */
export function toPluginRequest(spec: RequestSpec, params: Record<string, string>, id: string): PluginRequest {
  const [pathname, qs] = (spec.path ?? '/').split('?');
  const query: Record<string, string | string[]> = { ...(spec.query ?? {}) };
  for (const [k, v] of new URLSearchParams(qs ?? '')) query[k] = v;
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(spec.headers ?? {})) headers[k.toLowerCase()] = v;
  return { id, method: (spec.method ?? 'GET').toUpperCase(), path: pathname!, params, query, headers, body: spec.body, context: {} };
}

/** Differences between `expected` (a subset) and `actual`, as readable paths; empty when it matches. */
export function subsetDiff(expected: unknown, actual: unknown, path = ''): string[] {
  const here = path || '(value)';
  if (expected === null) return actual === null || actual === undefined ? [] : [`${here}: expected null, got ${JSON.stringify(actual)}`];
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return [`${here}: expected an array, got ${JSON.stringify(actual)}`];
    if (actual.length < expected.length) return [`${here}: expected at least ${expected.length} items, got ${actual.length}`];
    return expected.flatMap((e, i) => subsetDiff(e, actual[i], `${path}[${i}]`));
  }
  if (typeof expected === 'object') {
    if (!actual || typeof actual !== 'object' || Array.isArray(actual)) return [`${here}: expected an object, got ${JSON.stringify(actual)}`];
    return Object.entries(expected as Record<string, unknown>).flatMap(([k, v]) => subsetDiff(v, (actual as Record<string, unknown>)[k], path ? `${path}.${k}` : k));
  }
  return Object.is(expected, actual) ? [] : [`${here}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`];
}
