// jwt-auth: plugway's built-in auth plugin, written only against plugway/sdk. Verifies the
// bearer JWT with jose; refuses `alg: none` and algorithm confusion by fixing the accepted
// algorithms to the configured key kind before any verification.
import { createRemoteJWKSet, decodeProtectedHeader, importSPKI, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { createPublicKey } from 'node:crypto';
import type { AuthPlugin, HealthStatus, PluginRequest, Principal } from 'plugway/sdk';
import { TokenCache } from './token-cache.js';

export type Algorithm = 'HS256' | 'RS256' | 'ES256';
const SYMMETRIC: readonly Algorithm[] = ['HS256'];
const ASYMMETRIC: readonly Algorithm[] = ['RS256', 'ES256'];

export interface JwtAuthConfig {
  secret?: string;
  public_key?: string;
  jwks_url?: string;
  algorithms?: Algorithm[];
  issuer?: string;
  audience?: string | string[];
  clock_skew?: string | number;
  roles_claim?: string;
  permissions_claim?: string;
  user_id_claim?: string;
  /** Verified tokens remembered (0 turns the cache off). */
  cache_size?: number;
  /** Longest a verified token is remembered, in seconds (never past its `exp`). */
  cache_ttl?: number;
  /** Refuse tokens without an `exp` claim (tokens that never expire). Default false. */
  require_exp?: boolean;
  /** Refuse tokens whose `iat` is older than this (seconds or "1h"); implies an `iat` claim. */
  max_token_age?: string | number;
}

type Key = Awaited<ReturnType<typeof importSPKI>> | Uint8Array | JWTVerifyGetKey;

/** Why a token was refused (kept for logs and tests; a refused token authenticates nobody). */
export class TokenRejected extends Error {}

function bearerOf(req: PluginRequest): string | undefined {
  const h = req.headers.authorization;
  const v = Array.isArray(h) ? h[0] : h;
  if (typeof v !== 'string') return undefined;
  const m = /^Bearer\s+([A-Za-z0-9_\-.]+=*)\s*$/i.exec(v);
  return m ? m[1] : undefined;
}

function strings(v: unknown): string[] {
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string');
  if (typeof v === 'string') return v.split(/[\s,]+/).filter(Boolean);
  return [];
}

/** The one algorithm a PEM public key verifies: RS256 for RSA, ES256 for EC P-256. Throws on anything else. */
function algorithmOfPem(pem: string): Algorithm {
  let k;
  try {
    k = createPublicKey(pem);
  } catch (err) {
    throw new Error(`jwt-auth: public_key is not a PEM public key (${(err as Error).message})`);
  }
  if (k.asymmetricKeyType === 'rsa') return 'RS256';
  if (k.asymmetricKeyType === 'ec' && k.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ES256';
  throw new Error(`jwt-auth: public_key is a ${k.asymmetricKeyType} key${k.asymmetricKeyDetails?.namedCurve ? ` on ${k.asymmetricKeyDetails.namedCurve}` : ''}; RS256 needs RSA, ES256 needs EC P-256`);
}

export function createJwtAuth(config: JwtAuthConfig = {}) {
  const kinds = [config.secret, config.public_key, config.jwks_url].filter((x) => x !== undefined && x !== '').length;
  if (kinds > 1) throw new Error('jwt-auth: configure exactly one of secret, public_key or jwks_url (mixing them invites algorithm confusion)');
  if (config.secret !== undefined && new TextEncoder().encode(config.secret).length < 32) {
    throw new Error('jwt-auth: secret must be at least 32 bytes for HS256');
  }
  const allowedForKey: readonly Algorithm[] = config.secret ? SYMMETRIC : config.public_key ? [algorithmOfPem(config.public_key)] : ASYMMETRIC;
  const algorithms = (config.algorithms ?? [...allowedForKey]).filter((a) => allowedForKey.includes(a));
  if (config.algorithms && algorithms.length !== config.algorithms.length) {
    throw new Error(
      `jwt-auth: algorithms ${config.algorithms.join(', ')} do not fit the configured key (${config.secret ? 'a secret allows HS256 only' : config.public_key ? `this public key allows ${allowedForKey.join(', ')} only` : 'a JWKS allows RS256, ES256'})`,
    );
  }
  const clockTolerance = typeof config.clock_skew === 'number' ? config.clock_skew : (config.clock_skew ?? 30);
  const rolesClaim = config.roles_claim ?? 'roles';
  const permsClaim = config.permissions_claim ?? 'permissions';
  const userClaim = config.user_id_claim ?? 'sub';
  const requiredClaims = config.require_exp ? ['exp'] : [];
  const cache = new TokenCache(config.cache_size ?? 10_000, (config.cache_ttl ?? 60) * 1000);

  let key: Key | undefined;
  let keyPromise: Promise<Key> | undefined;
  const getKey = (alg: Algorithm): Promise<Key> => {
    if (key) return Promise.resolve(key);
    if (config.secret) {
      // Imported once: jose would import a raw secret again on every verification.
      keyPromise ??= crypto.subtle.importKey('raw', new TextEncoder().encode(config.secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']).then((k) => (key = k));
      return keyPromise;
    }
    if (config.jwks_url) return Promise.resolve((key = createRemoteJWKSet(new URL(config.jwks_url), { cooldownDuration: 30_000, timeoutDuration: 5_000 })));
    if (config.public_key) {
      // One PEM key serves one algorithm (its type's): `alg` is that one, checked before this.
      // A failed import is not kept: the next token tries again.
      keyPromise ??= importSPKI(config.public_key, alg).then(
        (k) => (key = k),
        (err: unknown) => {
          keyPromise = undefined;
          throw new TokenRejected(`public_key could not be imported for ${alg}: ${(err as Error).message}`);
        },
      );
      return keyPromise;
    }
    return Promise.reject(new TokenRejected('no key configured (set secret, public_key or jwks_url)'));
  };

  /** The principal a token stands for; throws TokenRejected with the reason. */
  async function verify(token: string): Promise<Principal> {
    let header;
    try {
      header = decodeProtectedHeader(token);
    } catch {
      throw new TokenRejected('malformed token');
    }
    const alg = header.alg as Algorithm | undefined;
    if (!alg || (alg as string).toLowerCase() === 'none') throw new TokenRejected('unsigned tokens (alg: none) are refused');
    if (!algorithms.includes(alg)) throw new TokenRejected(`algorithm ${alg} is not accepted (accepted: ${algorithms.join(', ')})`);
    const k = await getKey(alg);
    let payload: JWTPayload;
    try {
      const opts = { algorithms: [...algorithms], clockTolerance, issuer: config.issuer, audience: config.audience, requiredClaims, maxTokenAge: config.max_token_age };
      payload = (typeof k === 'function' ? await jwtVerify(token, k, opts) : await jwtVerify(token, k, opts)).payload;
    } catch (err) {
      throw new TokenRejected((err as Error).message);
    }
    const id = payload[userClaim];
    if ((typeof id !== 'string' || id === '') && typeof id !== 'number') throw new TokenRejected(`token has no ${userClaim} claim`);
    const permissions = strings(payload[permsClaim]);
    if (permsClaim === 'permissions' && permissions.length === 0) permissions.push(...strings(payload.scope));
    const principal: Principal = { id: String(id), roles: strings(payload[rolesClaim]), permissions, claims: payload as Record<string, unknown> };
    cache.set(token, principal, payload.exp);
    return principal;
  }

  async function verifyOrNull(token: string): Promise<Principal | null> {
    try {
      return await verify(token);
    } catch (err) {
      if (err instanceof TokenRejected) return null;
      throw err;
    }
  }

  const plugin: AuthPlugin & { verify: typeof verify; tokenCache: TokenCache } = {
    verify,
    tokenCache: cache,
    // A token verified before answers at once (synchronously), from the cache.
    authenticate(req: PluginRequest): Principal | null | Promise<Principal | null> {
      const token = bearerOf(req);
      if (!token) return null;
      return cache.get(token) ?? verifyOrNull(token);
    },
    healthCheck(): HealthStatus {
      // No key is a configuration not made yet (the quickstart's default), not a fault: disabled, with the fix.
      if (kinds === 0) {
        return {
          status: 'disabled',
          message: 'no key configured: every token is refused',
          hint: 'set secret, public_key or jwks_url under plugins.configs.jwt-auth.config in plugway.yaml',
        };
      }
      return { status: 'healthy', message: `accepting ${algorithms.join(', ')}` };
    },
  };
  return plugin;
}

export default createJwtAuth;
