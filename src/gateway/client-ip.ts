// The client's address, one rule for the rate limiter and the per-client connection limit: behind a
// trusted proxy the first X-Forwarded-For hop (else X-Real-IP), otherwise the peer's address.

import type { IncomingHttpHeaders } from 'node:http';

export function clientIpOf(headers: IncomingHttpHeaders, peer: () => string, trustProxy: boolean): string {
  if (trustProxy) {
    const xff = headers['x-forwarded-for'];
    const first = (Array.isArray(xff) ? xff[0] : xff)?.split(',')[0]?.trim();
    if (first) return first;
    const real = headers['x-real-ip'];
    if (typeof real === 'string' && real) return real.trim();
  }
  return peer();
}
