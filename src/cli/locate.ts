import { existsSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import {
  COMPRESS_NAMES,
  resolveOptions,
  settingsFolder,
  type CompressName,
  type HashStashOptions,
  type SerializerName,
} from '../options.js';
import { ConfigError } from '../errors.js';
import type { KeyEncoding } from '../keys/encoding.js';
import { UsageError } from './usage-error.js';

/** The options that name a stash on the command line when its folder is not given (as a program would open it). */
export interface StashFlags {
  readonly root?: string | undefined;
  readonly name?: string | undefined;
  readonly engine?: string | undefined;
  readonly url?: string | undefined;
  readonly serializer?: string | undefined;
  readonly compress?: string | undefined;
  readonly b64?: boolean | undefined;
}

/** What a stash folder's name says: the settings a stash is opened with. */
export interface StashSettings {
  readonly engine: string;
  readonly serializer: SerializerName;
  readonly compress: CompressName;
  readonly b64: boolean;
  readonly keyEncoding: KeyEncoding;
}

/**
 * A stash's settings folder: `<engine>.<serializer>.<compress>[+b64][.<keyEncoding>]`. The serializer may be one of
 * the user's own (letters, digits, `_`, `-`): opening it then fails with a ConfigError naming it, as the process has
 * no such serializer object.
 */
const SETTINGS = new RegExp(
  `^([a-z0-9][a-z0-9_-]*)\\.([A-Za-z0-9_-]{1,64})\\.(${COMPRESS_NAMES.join('|')})(\\+b64)?(?:\\.(utf8|binary))?$`,
  'i',
);

const SERVER_ENGINES = new Set(['redis', 'mongo']);
const FLAG_NAMES = ['root', 'name', 'engine', 'url', 'serializer', 'compress', 'b64'] as const;

/** The settings a stash folder's name holds, or undefined when it is not a stash folder. */
export function parseSettingsFolder(folder: string): StashSettings | undefined {
  const match = SETTINGS.exec(folder);
  if (!match) return undefined;
  return {
    engine: match[1],
    serializer: match[2] as SerializerName,
    compress: match[3] as CompressName,
    b64: match[4] !== undefined,
    keyEncoding: (match[5] ?? 'canonical') as KeyEncoding,
  };
}

/** `<stash-or-thing> [thing]`: the stash folder then the thing, or the thing alone (the stash named by flags). */
export function stashAndThing(first: string, second: string | undefined): [path: string | undefined, thing: string] {
  return second === undefined ? [undefined, first] : [first, second];
}

/**
 * The options that open the stash named by its folder `path` or by `flags` (not both: UsageError). A folder's last
 * part says the settings, the one before the name, the rest the root. Unless `create`, a local stash must exist:
 * ConfigError "no stash at '<path>'" otherwise.
 */
export function stashOptions(path: string | undefined, flags: StashFlags, create = false): HashStashOptions {
  const given = FLAG_NAMES.filter((flag) => flags[flag] !== undefined);
  if (path !== undefined) {
    if (given.length)
      throw new UsageError(
        `name the stash by its folder or by options, not both: got '${path}' and --${given.join(', --')}`,
      );
    const folder = resolve(path);
    const settings = parseSettingsFolder(basename(folder));
    if (!settings)
      throw new ConfigError(
        `no stash at '${path}': a stash folder's last part is <engine>.<serializer>.<compress>, like lmdb.hashstash.lz4`,
      );
    if (!create && !existsSync(folder)) throw new ConfigError(`no stash at '${path}'`);
    const parent = dirname(folder);
    return { ...settings, root: dirname(parent), name: basename(parent) };
  }
  const options = Object.fromEntries(given.map((flag) => [flag, flags[flag]])) as HashStashOptions;
  let resolved;
  try {
    resolved = resolveOptions(options);
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message, { cause: error });
    throw error;
  }
  if (!create && !SERVER_ENGINES.has(resolved.engine)) {
    const folder = join(resolved.root, resolved.name, settingsFolder(resolved));
    if (!existsSync(folder)) throw new ConfigError(`no stash at '${folder}'`);
  }
  return options;
}
