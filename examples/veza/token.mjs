#!/usr/bin/env node
// Mints a development JWT for the Veza example's jwt-auth: `node examples/veza/token.mjs <user> [role…]`
// prints a token for <user> with those roles, valid one hour, signed HS256 with the dev secret that
// plugway.yaml gives jwt-auth. Set VEZA_JWT_SECRET (at least 32 bytes) to use another one in both.
import { fileURLToPath } from 'node:url';
import { SignJWT } from 'jose';

/** The secret plugway.yaml falls back to: for trying the example on your machine, never anywhere else. */
export const DEV_SECRET = 'veza-dev-secret-for-local-tries-only';

export function devToken(user, roles = [], secret = process.env.VEZA_JWT_SECRET || DEV_SECRET) {
  return new SignJWT({ roles }).setProtectedHeader({ alg: 'HS256' }).setSubject(user).setIssuedAt().setExpirationTime('1h').sign(new TextEncoder().encode(secret));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [user, ...roles] = process.argv.slice(2);
  if (!user) {
    process.stderr.write('usage: node examples/veza/token.mjs <user> [role…]   e.g. token.mjs alice seller\n');
    process.exit(2);
  }
  process.stdout.write(`${await devToken(user, roles)}\n`);
}
