// Dependencies in their string form ("redis-diagnostics >= 1.0.0", "auth@^2") and semver helpers.
import semver from 'semver';
import { PlugwayError } from '../errors.js';
import type { DependencySpec } from './types.js';

export const PLUGIN_ID_PATTERN = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

export function isPluginId(s: string): boolean {
  return PLUGIN_ID_PATTERN.test(s);
}

export function isSemver(s: unknown): boolean {
  return typeof s === 'string' && semver.valid(s) !== null;
}

export function isSemverRange(s: unknown): boolean {
  return typeof s === 'string' && semver.validRange(s) !== null;
}

export type DependencyStringProblem = 'id' | 'range';

/** Splits "name range" (or "name@range"); `problem` says which half is wrong. */
export function splitDependencyString(s: string): { id: string; range: string; problem?: DependencyStringProblem } {
  const m = /^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*@?\s*(.*?)\s*$/.exec(s);
  if (!m) return { id: s.trim(), range: '*', problem: 'id' };
  const id = m[1]!;
  const range = m[2] === '' ? '*' : m[2]!;
  if (!isPluginId(id)) return { id, range, problem: 'id' };
  if (!isSemverRange(range)) return { id, range, problem: 'range' };
  return { id, range };
}

/** "redis-diagnostics >= 1.0.0" → { id: "redis-diagnostics", range: ">= 1.0.0", optional: false }. */
export function parseDependencyString(s: string): DependencySpec {
  const d = splitDependencyString(String(s));
  const where = { file: '(dependency)', line: 1, col: 1, path: 'requires' };
  if (d.problem === 'id') throw new PlugwayError('PLW_ERR_MANIFEST_BAD_ID', { ...where, value: d.id });
  if (d.problem === 'range') throw new PlugwayError('PLW_ERR_MANIFEST_BAD_RANGE', { ...where, value: d.range });
  return { id: d.id, range: d.range, optional: false };
}
