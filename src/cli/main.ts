// The command tree and the mapping of errors to one-line messages and exit codes.
import { Command, CommanderError, Option } from 'commander';
import { PlugwayError, reasonOf } from '../errors.js';
import { PLUGWAY_VERSION } from '../version.js';
import { commandModulesFor, commandSummaries } from './commands/index.js';
import { cliLog, LOG_LEVELS } from './log.js';

const logLevelOption = (): Option => new Option('--log-level <level>', 'log level (default: $PLUGWAY_LOG_LEVEL, else info)').choices(LOG_LEVELS);

/** --log-level on every command, the ones the modules registered included. */
function addLogLevel(cmd: Command): void {
  if (!cmd.options.some((o) => o.long === '--log-level')) cmd.addOption(logLevelOption());
  for (const sub of cmd.commands) if (sub.name() !== 'help') addLogLevel(sub);
}

/**
 * With `argv`, only the command it names is registered (see commandModulesFor), and top-level help
 * and --version are answered from commandSummaries without loading a command; without, all.
 */
export async function buildProgram(argv?: readonly string[]): Promise<Command> {
  const program = new Command('plugway')
    .description('plugway: a plugin platform and gateway for Node.js')
    .version(PLUGWAY_VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText(
      'after',
      `
Examples:
  $ plugway serve                                   # the bundled examples on http://127.0.0.1:8080
  $ plugway plugin create hello && plugway plugin test ./hello
  $ plugway plugin --help                           # create, test, pack, sign, install, list, …`,
    )
    // Program options (-V/--version) only before the command: `plugin rollback <id> --version V` is the command's own.
    .enablePositionalOptions()
    .exitOverride();
  const wanted = commandModulesFor(argv);
  if (wanted === 'summaries') {
    for (const s of commandSummaries) program.command(`${s.name}${s.operands ? ` ${s.operands}` : ''}`).description(s.description);
  } else {
    for (const load of wanted) await (await load()).register(program, argv);
  }
  addLogLevel(program);
  program.hook('preAction', (_program, action) => {
    const level = (action.optsWithGlobals() as { logLevel?: string }).logLevel;
    // the gateway's config reads PLUGWAY_LOG_LEVEL too (logging.level), so serve logs at this level
    if (level) process.env.PLUGWAY_LOG_LEVEL = level;
    cliLog.debug(`plugway ${PLUGWAY_VERSION} (node ${process.version}): ${action.name()} ${JSON.stringify(action.opts())}`);
  });
  return program;
}

export async function main(argv: string[] = process.argv): Promise<number> {
  const program = await buildProgram(argv);
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // commander already printed the message (or the help / version)
      return err.exitCode;
    }
    if (err instanceof PlugwayError) {
      process.stderr.write(`plugway: ${err.code}: ${err.message}\n`);
      return 1;
    }
    process.stderr.write(`plugway: ${reasonOf(err)}\n`);
    return 1;
  }
}
