import { existsSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import {
  COMPRESS_NAMES,
  SERIALIZER_NAMES,
  type CompressName,
  type HashStashOptions,
  type SerializerName,
} from '../options.js';
import { ConfigError } from '../errors.js';

/** How the command line names a stash: by its folder (`stash.path`), or by the options a program would pass. */
export interface StashAddress {
  readonly path?: string | undefined;
  readonly root?: string | undefined;
  readonly name?: string | undefined;
  readonly engine?: string | undefined;
  readonly url?: string | undefined;
}

/** What a stash folder's name says: the settings a stash is opened with. */
export interface StashSettings {
  readonly engine: string;
  readonly serializer: SerializerName;
  readonly compress: CompressName;
  readonly b64: boolean;
}

/** A stash's settings folder: `<engine>.<serializer>.<compress>[+b64]`. */
const SETTINGS = new RegExp(
  `^([a-z0-9][a-z0-9_-]*)\\.(${SERIALIZER_NAMES.join('|')})\\.(${COMPRESS_NAMES.join('|')})(\\+b64)?$`,
  'i',
);

/** The settings a stash folder's name holds, or undefined when it is not a stash folder. */
export function parseSettingsFolder(folder: string): StashSettings | undefined {
  const match = SETTINGS.exec(folder);
  if (!match) return undefined;
  return {
    engine: match[1],
    serializer: match[2] as SerializerName,
    compress: match[3] as CompressName,
    b64: match[4] !== undefined,
  };
}

/**
 * The options that open the stash `address` names. A path must be an existing stash folder (local engines): its
 * last part says the settings, the one before the name, the rest the root. ConfigError naming what is wrong.
 */
export function stashOptions(address: StashAddress): HashStashOptions {
  if (address.path !== undefined) {
    const path = resolve(address.path);
    const settings = parseSettingsFolder(basename(path));
    if (!settings)
      throw new ConfigError(
        `'${address.path}' is not a stash folder: its last part should be <engine>.<serializer>.<compress>, like lmdb.hashstash.lz4`,
      );
    if (!existsSync(path)) throw new ConfigError(`no stash at '${address.path}'`);
    const parent = dirname(path);
    return { ...settings, root: dirname(parent), name: basename(parent) };
  }
  return {
    ...(address.root !== undefined ? { root: address.root } : {}),
    ...(address.name !== undefined ? { name: address.name } : {}),
    ...(address.engine !== undefined ? { engine: address.engine } : {}),
    ...(address.url !== undefined ? { url: address.url } : {}),
  };
}
