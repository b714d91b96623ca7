#!/usr/bin/env node
/**
 * The `hashstash` command line: look inside a stash, export or import it, clear it. A stash is named by its folder
 * (`stash.path`) or by `--root`, `--name`, `--engine` and `--url`, as a program would open it. Exit codes: 0 done,
 * 1 failed (the error is printed), 2 a usage error (an unknown command or flag, a missing argument).
 */
import { Command, CommanderError, Option } from 'commander';
import { HashStashError } from '../errors.js';
import type { StashAddress } from './locate.js';

const USAGE = 2;
const FAILED = 1;

function withStash(command: Command, then?: string): Command {
  return command
    .argument(
      then ? '<stash-or-' + then + '>' : '[stash]',
      then
        ? `the stash folder (<root>/<name>/<engine>.<serializer>.<compress>) then the ${then}; or only the ${then}, with --root and --name`
        : 'the stash folder, <root>/<name>/<engine>.<serializer>.<compress>',
    )
    .option('--root <root>', 'the root (without a stash folder)')
    .option('--name <name>', "the stash's name in its root")
    .addOption(new Option('--engine <engine>', 'the engine').choices(['lmdb', 'sqlite', 'pairtree', 'redis', 'mongo']))
    .option('--url <url>', 'the server, for redis and mongo')
    .option('--json', 'output for scripts: JSON');
}

interface Common extends StashAddress {
  readonly json?: boolean;
}

const address = (path: string | undefined, options: Common): StashAddress => ({ ...options, path });

/** `<stash> <thing>`, or `<thing>` alone when the stash is named by options. */
const pair = (first: string, second: string | undefined, options: Common): [StashAddress, string] =>
  second === undefined ? [address(undefined, options), first] : [address(first, options), second];

const program = new Command('hashstash')
  .description('look inside, export, import and clear hashstash stashes')
  .exitOverride()
  .configureOutput({ writeErr: (text) => process.stderr.write(text) });

program
  .command('ls')
  .description('the stashes under a root folder: engine, settings, entries, bytes')
  .argument('[root]', 'a root folder (default: the default root in the cache home)')
  .option('--json', 'output for scripts: JSON')
  .action(async (root: string | undefined, options: { json?: boolean }) =>
    (await import('./commands/ls.js')).list(root, options),
  );
withStash(program.command('keys').description("every key, one a line (the export format's JSON)")).action(
  async (path: string | undefined, options: Common) =>
    (await import('./commands/read.js')).keys(address(path, options)),
);
withStash(program.command('get').description('the value of one key (as JSON: a string key is \'"name"\')'), 'key')
  .argument('[key]')
  .action(async (first: string, second: string | undefined, options: Common) =>
    (await import('./commands/read.js')).get(...pair(first, second, options)),
  );
withStash(program.command('stats').description('entries, bytes, hits and misses')).action(
  async (path: string | undefined, options: Common) =>
    (await import('./commands/read.js')).stats(address(path, options), options),
);
withStash(program.command('export').description('every entry, as JSON lines or CSV'))
  .addOption(new Option('--format <format>', 'jsonl or csv').choices(['jsonl', 'csv']).default('jsonl'))
  .option('-o, --output <file>', 'write to this file (default: standard output)')
  .action(async (path: string | undefined, options: Common & { format: 'jsonl' | 'csv'; output?: string }) =>
    (await import('./commands/transfer.js')).exportStash(address(path, options), options),
  );
withStash(program.command('import').description('entries from a JSON lines file written by export'), 'file')
  .argument('[file]')
  .action(async (first: string, second: string | undefined, options: Common) =>
    (await import('./commands/transfer.js')).importStash(...pair(first, second, options), options),
  );
withStash(program.command('clear').description('remove every entry'))
  .option('--yes', 'really: without it, nothing is removed')
  .action(async (path: string | undefined, options: Common & { yes?: boolean }) =>
    (await import('./commands/write.js')).clear(address(path, options), options),
  );
withStash(program.command('purge-expired').description('remove the entries whose ttl has run out')).action(
  async (path: string | undefined, options: Common) =>
    (await import('./commands/write.js')).purgeExpired(address(path, options), options),
);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    process.exitCode = error.exitCode === 0 ? 0 : USAGE;
  } else {
    process.stderr.write(`hashstash: ${error instanceof HashStashError ? error.message : String(error)}\n`);
    process.exitCode = FAILED;
  }
}
