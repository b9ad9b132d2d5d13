// `plugway plugin …`: the plugin author's and operator's commands, one module per subcommand.
// A run registers only the module of the subcommand it names (start-up: `plugin list` must not load
// the host, the manifest schema and the toolkit); `plugway plugin --help` and unknown names load all.
import type { Command } from 'commander';
import { operandsOf, summaryOf } from './index.js';

type Register = (plugin: Command) => void | Promise<void>;
type Loader = () => Promise<{ register: Register }>;

const create: Loader = () => import('./plugin-create.js');
const pack: Loader = () => import('./plugin-pack.js');
const sign: Loader = () => import('./plugin-sign.js');
const install: Loader = () => import('./plugin-install.js');
const search: Loader = () => import('./plugin-search.js');
const test: Loader = () => import('./plugin-test.js');
const admin: Loader = () => import('./plugin-admin.js');
const release: Loader = () => import('./plugin-release.js');
const validate: Loader = () => import('./plugin-validate.js');
const deploy: Loader = () => import('./plugin-deploy.js');

/** In help order. */
const subcommands: Loader[] = [create, pack, sign, install, search, test, admin, release, validate, deploy];

/** Which module registers a subcommand; a name missing here loads them all (slower, still right). */
const bySubcommand: Record<string, Loader> = {
  create,
  pack,
  keygen: sign,
  sign,
  verify: sign,
  install,
  search,
  test,
  list: admin,
  info: admin,
  discover: admin,
  enable: admin,
  disable: admin,
  reload: admin,
  versions: release,
  rollback: release,
  canary: release,
  validate,
  deploy,
  nodes: deploy,
};

export async function register(program: Command, argv?: readonly string[]): Promise<void> {
  const plugin = program.command('plugin').description(summaryOf('plugin')).addHelpText('after', '\nExample:\n  $ plugway plugin validate ./plugins/hello');
  const operands = operandsOf(argv);
  const name = operands[0] === 'plugin' ? operands[1] : undefined;
  const one = name !== undefined && Object.hasOwn(bySubcommand, name) ? bySubcommand[name] : undefined;
  for (const load of one ? [one] : subcommands) await (await load()).register(plugin);
}
