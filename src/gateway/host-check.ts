// DNS rebinding: a page on attacker.example, rebound to 127.0.0.1, reaches the gateway with its own
// Host header. The admin API and the dashboard answer only to names that cannot be rebound: IP
// literals, localhost, and the names an operator lists in gateway.admin.allowed_hosts.

import { isIP } from 'node:net';

/** The name in a Host header, lower-cased, without port or IPv6 brackets. */
export function hostName(header: string | undefined): string {
  const h = (header ?? '').trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(1, h.indexOf(']') > 0 ? h.indexOf(']') : undefined);
  const colon = h.lastIndexOf(':');
  return colon >= 0 && h.indexOf(':') === colon ? h.slice(0, colon) : h;
}

/** Whether the admin surface may answer a request sent with this Host header. */
export function adminHostAllowed(header: string | undefined, allowed: readonly string[]): boolean {
  const name = hostName(header);
  if (!name) return false;
  if (isIP(name) || name === 'localhost' || name.endsWith('.localhost')) return true;
  return allowed.some((a) => {
    const e = a.trim().toLowerCase();
    return e === name || (e.startsWith('*.') && name.endsWith(e.slice(1)));
  });
}
