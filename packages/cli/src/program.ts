import { Command, CommanderError } from 'commander';
import { deadLettersCommand } from './commands/dead-letters.js';
import { relayCommand } from './commands/relay.js';
import { migrateCommand, schemaCommand, statusCommand } from './commands/schema-commands.js';
import { statsCommand } from './commands/stats.js';
import { CliError, describeError, EXIT } from './exit.js';

const EXIT_CODES = `
Exit codes:
  ${EXIT.ok}  ok
  ${EXIT.failure}  failure (database or broker unreachable, refused migration, ...)
  ${EXIT.usage}  usage (unknown command or option, invalid value or configuration)
  ${EXIT.behind}  status: the schema is missing, behind, ahead or has drifted

Store URLs: postgres://user:pass@host/db, mysql://user@host/db (MariaDB too), sqlite:///path/file.db or a file path.`;

export function buildProgram(): Command {
  const program = new Command('txbox')
    .description('txbox: migrate and check the outbox schema, inspect outboxes and dead letters, run the relay daemon')
    .version('0.1.0')
    .addHelpText('after', EXIT_CODES)
    .showHelpAfterError('(txbox --help lists the commands; txbox <command> --help their options)');
  for (const command of [migrateCommand(), statusCommand(), schemaCommand(), statsCommand(), deadLettersCommand(), relayCommand()]) {
    program.addCommand(command);
  }
  // Every (sub)command reports usage errors as exit 2 instead of exiting by itself.
  const override = (c: Command) => {
    c.exitOverride();
    c.commands.forEach(override);
  };
  override(program);
  return program;
}

/** Runs the CLI; resolves to the exit code (commands that keep running set it when they end). */
export async function run(argv: readonly string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv as string[], { from: 'user' });
    return Number(process.exitCode ?? EXIT.ok);
  } catch (error) {
    if (error instanceof CommanderError) {
      const shown = error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help';
      return shown ? EXIT.ok : EXIT.usage;
    }
    const failure = error instanceof CliError ? error : describeError(error);
    process.stderr.write(`txbox: ${failure.message}\n`);
    return failure.exitCode;
  }
}
