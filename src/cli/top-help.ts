import { COMMANDS, PROGRAM_DESCRIPTION } from './command-table.js';

/**
 * `hashstash --help` written from the command table without loading commander (about 10 ms of a start the issue
 * allows 150 for, on a machine where Node alone takes 100-130), laid out as commander lays out the same program's
 * help (test/cli/usage.test.ts compares them). A command's own help (`hashstash export --help`) is commander's.
 */
export function topHelp(): string {
  const help = ['-h, --help', 'display help for command'] as const;
  const rows = COMMANDS.map((command) => [
    [
      command.name,
      ...(command.options.length || command.stash ? ['[options]'] : []),
      ...command.arguments.map((a) => a.name),
    ].join(' '),
    command.description,
  ]);
  const width = Math.max(help[0].length, ...rows.map(([term]) => term.length)) + 2;
  const line = ([term, description]: readonly [string, string] | string[]) => `  ${term.padEnd(width)}${description}\n`;
  return (
    `Usage: hashstash [options] [command]\n\n${PROGRAM_DESCRIPTION}\n\nOptions:\n${line(help)}\n` +
    `Commands:\n${rows.map(line).join('')}`
  );
}
