// `plugway plugin keygen | sign | verify`: ed25519 keys and detached <pkg>.tgz.sig signatures.
import type { Command } from 'commander';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PlugwayError } from '../../errors.js';
import { generateSigningKeys, signaturePath, signPackage, verifyPackage } from '../../toolkit/signing.js';
import { loadTrustedKeys } from '../../toolkit/trust.js';

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function register(plugin: Command): void {
  plugin
    .command('keygen')
    .description('make an ed25519 signing key pair: <name>.key (private, mode 0600) and <name>.pub (public, for trusted_keys)')
    .option('--out <dir>', 'folder for the key files', '.')
    .option('--name <name>', 'base name of the files', 'plugway-signing')
    .option('--force', 'overwrite existing key files')
    .addHelpText(
      'after',
      `
Example:
  $ plugway plugin keygen --out ./keys
  Wrote keys/plugway-signing.key (keep it secret) and keys/plugway-signing.pub (key id 9c2e41d07a3b5f18)`,
    )
    .action((opts: { out: string; name: string; force?: boolean }) => {
      const dir = resolve(opts.out);
      const priv = join(dir, `${opts.name}.key`);
      const pub = join(dir, `${opts.name}.pub`);
      if (!opts.force && (existsSync(priv) || existsSync(pub))) {
        throw new PlugwayError('PLW_ERR_CLI_USAGE', { reason: `${priv} or ${pub} exists; pass --force to overwrite or choose --name` });
      }
      mkdirSync(dir, { recursive: true });
      const k = generateSigningKeys();
      writeFileSync(priv, k.privatePem, { mode: 0o600 });
      writeFileSync(pub, k.publicPem);
      process.stdout.write(
        `Wrote ${priv} (keep it secret) and ${pub} (key id ${k.keyId})\nTrust it in plugway.yaml:\n  trusted_keys:\n    - |\n${k.publicPem
          .trim()
          .split('\n')
          .map((l) => `      ${l}`)
          .join('\n')}\n`,
      );
    });

  plugin
    .command('sign')
    .description('sign a package with an ed25519 private key; writes the detached signature <tgz>.sig beside it')
    .argument('<tgz>', 'a package made by plugway plugin pack')
    .requiredOption('--key <private.pem>', 'the private key (from plugway plugin keygen)')
    .addHelpText(
      'after',
      `
Example:
  $ plugway plugin sign hello-0.1.0.tgz --key keys/plugway-signing.key
  Signed hello-0.1.0.tgz → hello-0.1.0.tgz.sig (key id 9c2e41d07a3b5f18)`,
    )
    .action((tgz: string, opts: { key: string }) => {
      if (!existsSync(tgz)) throw new PlugwayError('PLW_ERR_CLI_USAGE', { reason: `${tgz} does not exist` });
      let pem: string;
      try {
        pem = readFileSync(opts.key, 'utf8');
      } catch (err) {
        throw new PlugwayError('PLW_ERR_CLI_USAGE', { reason: `cannot read --key ${opts.key}: ${(err as Error).message}` });
      }
      const { sigFile, doc } = signPackage(tgz, pem);
      process.stdout.write(`Signed ${tgz} → ${sigFile} (key id ${doc.key_id})\n`);
    });

  plugin
    .command('verify')
    .description("check a package's signature (<tgz>.sig) against trusted keys: --key files and plugway.yaml's trusted_keys")
    .argument('<tgz>', 'the package')
    .option('--key <public.pem>', 'a trusted public key (repeatable)', collect, [])
    .option('--config <file>', 'plugway.yaml whose trusted_keys to use (default ./plugway.yaml if present)')
    .option('--sig <file>', 'the signature file (default <tgz>.sig)')
    .addHelpText(
      'after',
      `
Example:
  $ plugway plugin verify hello-0.1.0.tgz --key keys/plugway-signing.pub
  hello-0.1.0.tgz: signature OK (key id 9c2e41d07a3b5f18)`,
    )
    .action(async (tgz: string, opts: { key: string[]; config?: string; sig?: string }) => {
      if (!existsSync(tgz)) throw new PlugwayError('PLW_ERR_CLI_USAGE', { reason: `${tgz} does not exist` });
      const keys = await loadTrustedKeys({ keyFiles: opts.key, ...(opts.config ? { configFile: opts.config } : {}) });
      if (keys.length === 0) {
        throw new PlugwayError('PLW_ERR_CLI_USAGE', { reason: 'no trusted key: pass --key <public.pem> or list trusted_keys in plugway.yaml' });
      }
      const { keyId } = verifyPackage(tgz, keys, opts.sig ?? signaturePath(tgz));
      process.stdout.write(`${tgz}: signature OK (key id ${keyId})\n`);
    });
}
