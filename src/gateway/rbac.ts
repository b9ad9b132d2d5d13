// Role and permission checks for an authenticated principal: endpoint roles (any of),
// the plugin's role allow-list (any of), endpoint permissions (`resource:action`, all of;
// `resource:*` and `*` grant wildcards).

import type { Principal } from '../sdk/types.js';

export function hasAnyRole(principal: Principal, roles: readonly string[]): boolean {
  if (roles.length === 0) return true;
  const have = principal.roles ?? [];
  return roles.some((r) => have.includes(r));
}

export function hasPermission(principal: Principal, permission: string): boolean {
  const have = principal.permissions ?? [];
  if (have.includes(permission) || have.includes('*') || have.includes('*:*')) return true;
  const i = permission.indexOf(':');
  if (i < 0) return false;
  const resource = permission.slice(0, i);
  const action = permission.slice(i + 1);
  return have.includes(`${resource}:*`) || have.includes(`*:${action}`);
}

export function splitPermission(permission: string): { resource: string; action: string } {
  const i = permission.indexOf(':');
  return i < 0 ? { resource: permission, action: '*' } : { resource: permission.slice(0, i), action: permission.slice(i + 1) };
}

/** A principal as an auth plugin returned it, checked (untrusted plugin output). */
export function asPrincipal(value: unknown): Principal | null {
  if (value === null || value === undefined || typeof value !== 'object') return null;
  const v = value as Record<string, unknown>;
  const id = typeof v.id === 'number' ? String(v.id) : v.id;
  if (typeof id !== 'string' || id === '') return null;
  const p: Principal = { id, roles: stringsOf(v.roles), permissions: stringsOf(v.permissions) };
  if (v.claims && typeof v.claims === 'object') p.claims = v.claims as Record<string, unknown>;
  return p;
}

/** The strings of an array (a copy: the plugin keeps its own), else []. */
function stringsOf(x: unknown): string[] {
  if (!Array.isArray(x)) return [];
  const out: string[] = [];
  for (let i = 0; i < x.length; i++) if (typeof x[i] === 'string') out.push(x[i] as string);
  return out;
}
