// ed25519 signing of packages (node:crypto): key pairs, detached <pkg>.tgz.sig files, verification
// against a list of trusted public keys. The signature covers the sha256 of the whole .tgz.

import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { PlugwayError } from '../errors.js';
import { sha256Hex } from './integrity.js';

export const SIGNATURE_FORMAT = 'plugway-signature-v1';

export interface SignatureDocument {
  format: typeof SIGNATURE_FORMAT;
  algorithm: 'ed25519';
  /** First 16 hex digits of the sha256 of the public key (SPKI DER). */
  key_id: string;
  /** sha256 of the .tgz the signature is for. */
  package_sha256: string;
  /** base64 ed25519 signature of `${SIGNATURE_FORMAT}:${package_sha256}`. */
  signature: string;
  signed_at: string;
}

export function signaturePath(pkg: string): string {
  return `${pkg}.sig`;
}

export function keyIdOf(key: KeyObject): string {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return createHash('sha256')
    .update(pub.export({ type: 'spki', format: 'der' }))
    .digest('hex')
    .slice(0, 16);
}

export function generateSigningKeys(): { privatePem: string; publicPem: string; keyId: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    keyId: keyIdOf(publicKey),
  };
}

/** A trusted key as written in plugway.yaml (PEM, or base64 SPKI DER) or a PEM file's text. */
export function parsePublicKey(text: string): KeyObject {
  const t = text.trim();
  let key: KeyObject;
  try {
    key = t.includes('-----BEGIN') ? createPublicKey(t) : createPublicKey({ key: Buffer.from(t, 'base64'), format: 'der', type: 'spki' });
  } catch (err) {
    throw new PlugwayError('PLW_ERR_CLI_USAGE', { reason: `not an ed25519 public key (PEM or base64 SPKI DER): ${(err as Error).message}` });
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new PlugwayError('PLW_ERR_CLI_USAGE', { reason: `trusted keys must be ed25519, got ${key.asymmetricKeyType}` });
  }
  return key;
}

function message(digest: string): Buffer {
  return Buffer.from(`${SIGNATURE_FORMAT}:${digest}`);
}

/** Signs `pkg` with a PEM private key and writes `<pkg>.sig`. */
export function signPackage(pkg: string, privateKeyPem: string): { sigFile: string; doc: SignatureDocument } {
  let key: KeyObject;
  try {
    key = createPrivateKey(privateKeyPem);
  } catch (err) {
    throw new PlugwayError('PLW_ERR_CLI_USAGE', { reason: `not a PEM private key: ${(err as Error).message}` });
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new PlugwayError('PLW_ERR_CLI_USAGE', { reason: `signing keys must be ed25519 (make one with plugway plugin keygen), got ${key.asymmetricKeyType}` });
  }
  const digest = sha256Hex(readFileSync(pkg));
  const doc: SignatureDocument = {
    format: SIGNATURE_FORMAT,
    algorithm: 'ed25519',
    key_id: keyIdOf(key),
    package_sha256: digest,
    signature: sign(null, message(digest), key).toString('base64'),
    signed_at: new Date().toISOString(),
  };
  const sigFile = signaturePath(pkg);
  writeFileSync(sigFile, `${JSON.stringify(doc, null, 2)}\n`);
  return { sigFile, doc };
}

/**
 * Verifies `<pkg>.sig` (or `sigFile`) against the trusted keys. Returns the key id that signed it.
 * Throws PLW_ERR_SIGNATURE_MISSING when there is no signature, PLW_ERR_SIGNATURE_INVALID when it
 * does not verify (altered package, or a key that is not trusted).
 */
export function verifyPackage(pkg: string, trusted: readonly KeyObject[], sigFile = signaturePath(pkg), bytes?: Buffer): { keyId: string } {
  if (!existsSync(sigFile)) throw new PlugwayError('PLW_ERR_SIGNATURE_MISSING', { file: pkg });
  let doc: SignatureDocument;
  try {
    doc = JSON.parse(readFileSync(sigFile, 'utf8')) as SignatureDocument;
  } catch {
    throw new PlugwayError('PLW_ERR_SIGNATURE_INVALID', { file: pkg });
  }
  if (doc?.format !== SIGNATURE_FORMAT || doc.algorithm !== 'ed25519' || typeof doc.signature !== 'string') {
    throw new PlugwayError('PLW_ERR_SIGNATURE_INVALID', { file: pkg });
  }
  // Trust the bytes on disk (or the ones the caller read once and goes on to use), not the digest written in the signature file.
  const digest = sha256Hex(bytes ?? readFileSync(pkg));
  const sig = Buffer.from(doc.signature, 'base64');
  for (const key of trusted) {
    if (verify(null, message(digest), key, sig)) return { keyId: keyIdOf(key) };
  }
  throw new PlugwayError('PLW_ERR_SIGNATURE_INVALID', { file: pkg });
}
