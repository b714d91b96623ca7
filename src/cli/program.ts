/**
 * The commander program of the command line, built from the command table: exit codes 0 done, 1 failed (the error is
 * printed), 2 a usage error (an unknown command or flag, a missing argument, a UsageError). A command's module is
 * imported when it runs.
 */
import { createRequire } from 'node:module';
import type * as Commander from 'commander';
import {
  COMMANDS,
  JSON_OPTION,
  PROGRAM_DESCRIPTION,
  STASH_OPTIONS,
  type CommandSpec,
  type OptionSpec,
} from './command-table.js';

const USAGE = 2;

// commander's ESM entry is a wrapper over its CommonJS one: requiring that directly starts a few ms sooner.
const { Command, CommanderError, Option } = createRequire(import.meta.url)('commander') as typeof Commander;

type CommandModule = Record<string, unknown> & { run?: (...args: unknown[]) => Promise<void> };

function option(spec: OptionSpec): Commander.Option {
  const made = new Option(spec.flags, spec.description);
  if (spec.choices) made.choices([...spec.choices]);
  if (spec.default !== undefined) made.default(spec.default);
  if (spec.repeatable) made.argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), value]);
  return made;
}

function addCommand(program: Commander.Command, spec: CommandSpec): void {
  const command = program
    .command(spec.name)
    .description(
      spec.description,
      Object.fromEntries(spec.arguments.map((argument) => [argument.name.slice(1, -1), argument.description])),
    )
    .allowExcessArguments(false);
  // Only when there are some: commander 14 reads `.arguments('')` as one argument with an empty name.
  if (spec.arguments.length) command.arguments(spec.arguments.map((argument) => argument.name).join(' '));
  for (const each of spec.stash ? [...STASH_OPTIONS, ...spec.options, JSON_OPTION] : spec.options)
    command.addOption(option(each));
  command.action(async (...given: unknown[]) => {
    // commander passes the arguments, then the options, then the command.
    const args = given.slice(0, spec.arguments.length);
    const module = (await import(`./commands/${spec.module}.js`)) as CommandModule;
    if (typeof module.run !== 'function') throw new Error(`./commands/${spec.module}.js exports no run()`);
    await module.run(...args, command.opts());
  });
}

/** Parses `argv` (process.argv) and runs the command it names; sets process.exitCode (0, 1 or 2). */
export async function runProgram(argv: readonly string[]): Promise<void> {
  const program = new Command('hashstash')
    .description(PROGRAM_DESCRIPTION)
    .exitOverride()
    .configureOutput({ writeErr: (text) => process.stderr.write(text) });
  for (const spec of COMMANDS) addCommand(program, spec);
  // Without an action of its own, commander answers `hashstash --bogus` with the help instead of naming the flag; with
  // one, `help [command]` is ours to answer.
  program.allowExcessArguments(true).action((_options: unknown, self: Commander.Command) => {
    if (self.args[0] === 'help')
      (program.commands.find((command) => command.name() === self.args[1]) ?? program).help();
    if (self.args.length) {
      const message = `error: unknown command '${self.args[0]}'. See 'hashstash --help'.`;
      process.stderr.write(`${message}\n`);
      throw new CommanderError(USAGE, 'commander.unknownCommand', message);
    }
    program.help({ error: true });
  });

  try {
    await program.parseAsync([...argv]);
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode === 0 ? 0 : USAGE;
    } else {
      const { reportFailure } = await import('./failure.js');
      process.exitCode = reportFailure(error);
    }
  }
}
