// The command tree and the mapping of errors to one-line messages and exit codes.
import { Command, CommanderError } from 'commander';
import { PlugwayError, reasonOf } from '../errors.js';
import { PLUGWAY_VERSION } from '../version.js';
import { commandModulesFor } from './commands/index.js';

/** With `argv`, only the command it names is registered (see commandModulesFor); without, all. */
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
  for (const load of commandModulesFor(argv)) await (await load()).register(program);
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
