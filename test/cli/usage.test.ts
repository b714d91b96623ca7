// The command line's usage errors and exit codes, run as the real binary: --help exits 0; an unknown flag or command,
// a stash named both by folder and by options, clear without --yes exit 2 and say what was wrong; a stash that is
// not there exits 1 naming its path. The --help path loads nothing of the library.
import t from 'tap';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { HashStash } from '../../src/index.js';
import { COMPRESS_NAMES, ENGINE_NAMES, SERIALIZER_NAMES } from '../../src/options.js';
import { CLI_COMPRESS, CLI_ENGINES, CLI_SERIALIZERS, COMMANDS } from '../../src/cli/command-table.js';
import { CLI_BIN, runCli } from '../helpers/cli.js';

const dir = await mkdtemp(join(tmpdir(), 'hashstash-cli-usage-'));
t.teardown(() => rm(dir, { recursive: true, force: true }));
const home = join(dir, 'home');
const root = join(dir, 'stashes');
const path = await (async () => {
  await using stash = new HashStash({ root, name: 'main' });
  await stash.set('k', 1);
  return stash.path;
})();

t.test('--help lists every command and exits 0', async (t) => {
  const run = await runCli(['--help'], { home });
  t.equal(run.code, 0);
  for (const command of COMMANDS) t.match(run.stdout, new RegExp(`^  ${command.name} `, 'm'), command.name);
  t.equal(run.stderr, '');
  const sub = await runCli(['export', '--help'], { home });
  t.equal(sub.code, 0);
  t.match(sub.stdout, /--format <format>/);
  const worker = await runCli(['help', 'worker'], { home });
  t.equal(worker.code, 0);
  t.match(worker.stdout, /--queue <url>/);
});

t.test('--help loads the command table alone; the other commands commander and the table', async (t) => {
  // The static imports, as built: every other module is imported when it is needed.
  const here = dirname(CLI_BIN);
  const staticImports = async (file: string) =>
    [...(await readFile(join(here, file), 'utf8')).matchAll(/^import .* from '([^']+)';$/gm)].map((m) => m[1]);
  t.same(await staticImports('main.js'), ['./top-help.js']);
  t.same(await staticImports('top-help.js'), ['./command-table.js']);
  t.same(await staticImports('command-table.js'), []);
  t.same(await staticImports('program.js'), ['node:module', './command-table.js']);
  t.match(await readFile(join(here, 'program.js'), 'utf8'), /createRequire\(import\.meta\.url\)\('commander'\)/);
});

t.test("--help, written without commander, is what commander writes for 'help'", async (t) => {
  const fast = await runCli(['--help'], { home });
  const short = await runCli(['-h'], { home });
  const commander = await runCli(['help'], { home });
  t.equal(commander.code, 0);
  t.equal(fast.stdout, commander.stdout);
  t.equal(short.stdout, commander.stdout);
});

t.test('an unknown flag exits 2 and names the flag', async (t) => {
  const run = await runCli(['keys', path, '--bogus'], { home });
  t.equal(run.code, 2);
  t.match(run.stderr, /unknown option '--bogus'/);
  t.equal(run.stdout, '');
  const top = await runCli(['--frobnicate'], { home });
  t.equal(top.code, 2);
  t.match(top.stderr, /--frobnicate/);
});

t.test('an unknown command exits 2 and names it', async (t) => {
  const run = await runCli(['frob'], { home });
  t.equal(run.code, 2);
  t.match(run.stderr, /unknown command 'frob'/);
});

t.test('a missing argument, a bad choice or an extra argument exits 2', async (t) => {
  t.equal((await runCli(['get'], { home })).code, 2);
  const format = await runCli(['export', path, '--format', 'xml'], { home });
  t.equal(format.code, 2);
  t.match(format.stderr, /xml/);
  const extra = await runCli(['keys', path, 'extra'], { home });
  t.equal(extra.code, 2);
});

t.test('no command: the help on stderr, exit 2', async (t) => {
  const run = await runCli([], { home });
  t.equal(run.code, 2);
  t.match(run.stderr, /Usage: hashstash/);
});

t.test('a stash that is not there exits 1 naming its path', async (t) => {
  const missing = join(dir, 'nowhere', 'main', 'lmdb.hashstash.lz4');
  for (const command of ['keys', 'stats', 'export', 'clear', 'purge-expired']) {
    const args = command === 'clear' ? [command, missing, '--yes'] : [command, missing];
    const run = await runCli(args, { home });
    t.equal(run.code, 1, command);
    t.equal(run.stderr, `hashstash: no stash at '${missing}'\n`, command);
  }
  const got = await runCli(['get', missing, '"k"'], { home });
  t.equal(got.code, 1);
  t.match(got.stderr, missing);
  const byOptions = await runCli(['keys', '--root', join(dir, 'nowhere'), '--name', 'other'], { home });
  t.equal(byOptions.code, 1);
  t.match(byOptions.stderr, `no stash at '${join(dir, 'nowhere', 'other', 'lmdb.hashstash.lz4')}'`);
  const notAStash = await runCli(['keys', dir], { home });
  t.equal(notAStash.code, 1);
  t.match(notAStash.stderr, `no stash at '${dir}'`);
});

t.test('a stash named both by its folder and by options exits 2', async (t) => {
  const run = await runCli(['keys', path, '--root', root], { home });
  t.equal(run.code, 2);
  t.match(run.stderr, /not both/);
  t.match(run.stderr, /--root/);
  const get = await runCli(['get', path, '"k"', '--name', 'main'], { home });
  t.equal(get.code, 2);
  t.match(get.stderr, /--name/);
});

t.test('clear without --yes exits 2, names --yes and removes nothing', async (t) => {
  const run = await runCli(['clear', path], { home });
  t.equal(run.code, 2);
  t.match(run.stderr, /--yes/);
  await using stash = new HashStash({ root, name: 'main' });
  t.equal(await stash.get('k'), 1);
});

t.test(
  "the table's choices are the library's names (the table cannot import them: --help would load the library)",
  async (t) => {
    t.same([...CLI_SERIALIZERS].sort(), [...SERIALIZER_NAMES].sort());
    t.same([...CLI_COMPRESS].sort(), [...COMPRESS_NAMES].sort());
    t.same([...CLI_ENGINES].sort(), ENGINE_NAMES.filter((name) => name !== 'memory').sort());
  },
);
