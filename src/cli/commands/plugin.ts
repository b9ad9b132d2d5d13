// `plugway plugin …`: the plugin author's and operator's commands, one module per subcommand.
import type { Command } from 'commander';

type Register = (plugin: Command) => void | Promise<void>;

const subcommands: Array<() => Promise<{ register: Register }>> = [
  () => import('./plugin-create.js'),
  () => import('./plugin-pack.js'),
  () => import('./plugin-sign.js'),
  () => import('./plugin-install.js'),
  () => import('./plugin-test.js'),
  () => import('./plugin-admin.js'),
  () => import('./plugin-release.js'),
  () => import('./plugin-validate.js'),
  () => import('./plugin-deploy.js'),

];

export async function register(program: Command): Promise<void> {
  const plugin = program
    .command('plugin')
    .description('create, check, package and steer plugins')
    .addHelpText('after', '\nExample:\n  $ plugway plugin validate ./plugins/hello');
  for (const load of subcommands) await (await load()).register(plugin);
}
