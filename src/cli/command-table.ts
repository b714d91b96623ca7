/**
 * Every command as data: what `--help` shows and which module runs it. The bin builds its commander program from
 * this table alone and imports a command's module only when that command runs, so `hashstash --help` loads commander
 * and this file and nothing of the library (no engine, serializer or codec).
 *
 * A command module exports `run` taking the command's arguments in order (undefined when an optional one is left
 * out), then the options object commander parsed (camelCase names; see {@link CommandSpec}), and returns a promise.
 * It resolves when done (exit code 0, or whatever it set in `process.exitCode`), throws a UsageError (usage-error.ts)
 * for exit code 2, anything else for 1.
 */

export const PROGRAM_DESCRIPTION = 'look inside, export, import and clear hashstash stashes';

export interface ArgumentSpec {
  /** commander's syntax: `<name>` required, `[name]` optional. */
  readonly name: string;
  readonly description: string;
}

export interface OptionSpec {
  /** commander's syntax: `-o, --output <file>`, `--yes`. */
  readonly flags: string;
  readonly description: string;
  readonly choices?: readonly string[];
  readonly default?: string;
  /** The option may be given many times; its value is the list of them. */
  readonly repeatable?: boolean;
}

export interface CommandSpec {
  readonly name: string;
  readonly description: string;
  readonly arguments: readonly ArgumentSpec[];
  /** Takes a stash: the {@link STASH_OPTIONS} and `--json`. */
  readonly stash: boolean;
  readonly options: readonly OptionSpec[];
  /** Its module, `./commands/<module>.js`, which exports `run`. */
  readonly module: string;
}

/** The engines a stash on the command line can use (the memory engines keep nothing after the process ends). */
export const CLI_ENGINES = ['lmdb', 'sqlite', 'pairtree', 'redis', 'mongo'] as const;
/** As src/options.ts lists them; a test checks that they match (importing them here would load the library). */
export const CLI_SERIALIZERS = ['hashstash', 'devalue', 'v8'] as const;
export const CLI_COMPRESS = ['lz4', 'zlib', 'gzip', 'brotli', 'raw'] as const;

/** How a stash is named when not by its folder: as a program would open it. */
export const STASH_OPTIONS: readonly OptionSpec[] = [
  { flags: '--root <root>', description: 'the root: a folder, or a name in the cache home (default: default_stash)' },
  { flags: '--name <name>', description: "the stash's name in its root (default: main)" },
  { flags: '--engine <engine>', description: 'the engine (default: lmdb)', choices: CLI_ENGINES },
  { flags: '--url <url>', description: 'the server, for redis and mongo (default: $REDIS_URL or $MONGODB_URL)' },
  { flags: '--serializer <serializer>', description: 'the serializer (default: hashstash)', choices: CLI_SERIALIZERS },
  { flags: '--compress <codec>', description: 'the codec (default: lz4)', choices: CLI_COMPRESS },
  { flags: '--b64', description: 'blobs are stored base64-encoded' },
];

export const JSON_OPTION: OptionSpec = { flags: '--json', description: 'output for scripts: JSON' };

const STASH = {
  name: '[stash]',
  description:
    'the stash folder, <root>/<name>/<engine>.<serializer>.<compress>; or leave it out and name the stash by options',
};

export const COMMANDS: readonly CommandSpec[] = [
  {
    name: 'ls',
    description: 'the stashes under a root folder, or on a server (--engine redis|mongo): settings, entries, bytes',
    arguments: [{ name: '[root]', description: 'a root folder (default: default_stash in the cache home)' }],
    stash: false,
    options: [
      { flags: '--engine <engine>', description: 'list a server instead: redis or mongo', choices: ['redis', 'mongo'] },
      { flags: '--url <url>', description: 'the server (default: $REDIS_URL or $MONGODB_URL)' },
      JSON_OPTION,
    ],
    module: 'ls',
  },
  {
    name: 'keys',
    description: 'every key, one a line, in the export encoding',
    arguments: [STASH],
    stash: true,
    options: [],
    module: 'keys',
  },
  {
    name: 'get',
    description: 'the value under one key, in the export encoding; exit 1 when there is none',
    arguments: [
      { name: '<stash-or-key>', description: 'the stash folder then the key; or only the key, with the stash options' },
      { name: '[key]', description: 'the key in the export encoding (JSON: a string key is \'"name"\')' },
    ],
    stash: true,
    options: [],
    module: 'get',
  },
  {
    name: 'stats',
    description: 'entries, bytes, hits and misses',
    arguments: [STASH],
    stash: true,
    options: [],
    module: 'stats',
  },
  {
    name: 'export',
    description: 'every entry as JSON lines (for import) or CSV',
    arguments: [STASH],
    stash: true,
    options: [
      { flags: '--format <format>', description: 'jsonl or csv', choices: ['jsonl', 'csv'], default: 'jsonl' },
      { flags: '-o, --output <file>', description: 'write to this file (default: standard output)' },
    ],
    module: 'export',
  },
  {
    name: 'import',
    description: 'the entries of a JSON lines file written by export (entries already expired are skipped)',
    arguments: [
      {
        name: '<stash-or-file>',
        description: 'the stash folder then the file; or only the file, with the stash options',
      },
      { name: '[file]', description: 'the JSON lines file' },
    ],
    stash: true,
    options: [],
    module: 'import',
  },
  {
    name: 'clear',
    description: 'remove every entry (only with --yes)',
    arguments: [STASH],
    stash: true,
    options: [{ flags: '--yes', description: 'really: without it, nothing is removed' }],
    module: 'clear',
  },
  {
    name: 'purge-expired',
    description: 'remove the entries whose ttl has run out',
    arguments: [STASH],
    stash: true,
    options: [],
    module: 'purge-expired',
  },
  {
    name: 'worker',
    description: 'serve a stash.map queue on Redis (BullMQ): run its jobs in worker threads',
    arguments: [],
    stash: false,
    options: [
      { flags: '--queue <url>', description: 'the Redis of the queue (default: $REDIS_URL)' },
      { flags: '--name <queue>', description: 'the queue name' },
      { flags: '--concurrency <n>', description: 'jobs run at once', default: '1' },
      { flags: '--trust-code', description: 'run functions sent as source, and data: modules' },
      { flags: '--lock-duration <ms>', description: 'how long a job stays locked without a renewal' },
      { flags: '--stalled-interval <ms>', description: 'how often stalled jobs are looked for' },
      { flags: '--max-stalled <n>', description: 'stalls before a job fails' },
      { flags: '--stash-url <url>', description: 'credentials for a stash server jobs name', repeatable: true },
      JSON_OPTION,
    ],
    module: 'worker',
  },
];
