// `plugway plugin deploy PKG.tgz --env NAME | --gateway URL`: uploads a (signed) package once; every
// node of the cluster fetches, verifies and installs it (docs/cluster.md).
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { PlugwayError } from '../../errors.js';
import { AdminClient } from '../../toolkit/admin-client.js';
import { resolveEnvironment } from '../../toolkit/environments.js';
import { signaturePath } from '../../toolkit/signing.js';

export function register(plugin: Command): void {
  plugin
    .command('deploy')
    .description('deploy a package to every node of a cluster: uploaded once, then fetched, verified (sha256, integrity, signature) and brought up by each node')
    .argument('<package>', 'a .tgz made by plugway plugin pack (its .tgz.sig beside it is sent too)')
    .option('--env <name>', 'a named environment from the CLI config (PLUGWAY_CLI_CONFIG or ~/.config/plugway/cli.yaml)')
    .option('--gateway <url>', 'any node of the cluster (default: $PLUGWAY_URL)')
    .option('--token <token>', "admin bearer token (default: the environment's, else $PLUGWAY_ADMIN_TOKEN)")
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\nExamples:\n  $ plugway plugin deploy greeter-1.1.0.tgz --env staging\n  $ PLUGWAY_ADMIN_TOKEN=… plugway plugin deploy greeter-1.1.0.tgz --gateway http://10.0.0.5:8080')
    .action(async (pkg: string, opts: { env?: string; gateway?: string; token?: string; json?: boolean }) => {
      if (!existsSync(pkg)) throw new PlugwayError('PLW_ERR_CLI_USAGE', { reason: `${pkg} does not exist; make one with plugway plugin pack` });
      if (opts.env && opts.gateway) throw new PlugwayError('PLW_ERR_CLI_USAGE', { reason: 'give --env or --gateway, not both' });
      const env = opts.env ? resolveEnvironment(opts.env) : undefined;
      const url = env?.url ?? opts.gateway ?? (process.env.PLUGWAY_URL || undefined);
      if (!url) throw new PlugwayError('PLW_ERR_CLI_USAGE', { reason: 'say where to deploy: --env NAME or --gateway URL' });
      const token = opts.token ?? env?.token ?? (process.env.PLUGWAY_ADMIN_TOKEN || undefined);
      const sigFile = signaturePath(pkg);
      const signature = existsSync(sigFile) ? await readFile(sigFile, 'utf8') : undefined;
      const r = await new AdminClient({ url, ...(token ? { token } : {}), timeoutMs: 120_000 }).deploy(await readFile(pkg), signature);
      const d = r.deployed;
      process.stdout.write(
        opts.json
          ? `${JSON.stringify(r, null, 2)}\n`
          : `Deployed ${d.id}@${d.version} (sha256 ${d.sha256.slice(0, 12)}…${signature ? ', signed' : ''}) through ${d.by}; every node installs it now — watch with: plugway plugin nodes${env ? ` --env ${env.name}` : ''}\n`,
      );
    });

  plugin
    .command('nodes')
    .description("the cluster's nodes, the versions they run, the version skew and what a node could not apply")
    .option('--env <name>', 'a named environment from the CLI config')
    .option('--gateway <url>', 'any node of the cluster (default: $PLUGWAY_URL)')
    .option('--token <token>', 'admin bearer token')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { env?: string; gateway?: string; token?: string; json?: boolean }) => {
      const env = opts.env ? resolveEnvironment(opts.env) : undefined;
      const url = env?.url ?? opts.gateway ?? (process.env.PLUGWAY_URL || undefined);
      const token = opts.token ?? env?.token ?? (process.env.PLUGWAY_ADMIN_TOKEN || undefined);
      const r = await new AdminClient({ ...(url ? { url } : {}), ...(token ? { token } : {}) }).nodes();
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
        return;
      }
      const out: string[] = [];
      for (const n of r.nodes) {
        out.push(`${n.id}${n.id === r.self ? ' (answered)' : ''}  ${n.address ?? ''}`);
        for (const p of n.plugins) out.push(`  ${p.id.padEnd(24)} ${p.version.padEnd(10)} ${p.state.padEnd(8)} ${p.health}`);
        for (const p of n.problems ?? []) out.push(`  ! ${p.plugin ?? ''} ${p.code}: ${p.message}`);
      }
      for (const s of r.skew)
        out.push(
          `skew: ${s.plugin}: ${Object.entries(s.versions)
            .map(([v, ids]) => `${v} on ${ids.join(', ')}`)
            .join('; ')}`,
        );
      process.stdout.write(`${out.join('\n')}\n`);
    });
}
