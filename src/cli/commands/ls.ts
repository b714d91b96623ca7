import { readdir } from 'node:fs/promises';
import { basename, dirname, join, relative } from 'node:path';
import { urlFromEnvironment } from '../../engines/index.js';
import { DEFAULT_REDIS_URL } from '../../engines/redis/store.js';
import { UnsupportedError } from '../../errors.js';
import { DEFAULTS, resolveRoot, type HashStashOptions } from '../../options.js';
import { HashStash } from '../../stash.js';
import { parseSettingsFolder, type StashSettings } from '../locate.js';
import { Output } from '../output.js';
import { redisStashes } from '../redis-stashes.js';

interface LsOptions {
  readonly engine?: 'redis' | 'mongo';
  readonly url?: string;
  readonly json?: boolean;
}

/** A stash found: where it is (a folder, or root/name on a server), its settings folder, and how to open it. */
interface Found {
  readonly where: string;
  readonly settings: string;
  readonly open: HashStashOptions & StashSettings & { readonly root: string; readonly name: string };
}

/**
 * `hashstash ls [root]`: the stash folders under `root` (local engines), or with `--engine redis` the stashes on that
 * server (under `root` only, when given); each with its settings, entries and bytes. `--json`: a JSON object a line.
 */
export async function run(root: string | undefined, options: LsOptions): Promise<void> {
  const out = new Output();
  const found =
    options.engine === undefined ? localStashes(root) : await serverStashes(root, options.engine, options.url);
  for await (const { where, settings, open } of found) {
    const stash = new HashStash({ ...open, readonly: true });
    try {
      const stats = await stash.stats();
      const entries = stats.entries ?? null;
      const bytes = stats.bytesUsed ?? null;
      await out.write(
        options.json
          ? `${JSON.stringify({ stash: where, root: open.root, name: open.name, settings, engine: open.engine, serializer: open.serializer, compress: open.compress, b64: open.b64, entries, bytes })}\n`
          : `${where}\t${settings}\t${entries ?? '?'} entries\t${bytes ?? '?'} bytes\n`,
      );
    } finally {
      await stash.close();
    }
  }
  await out.close();
}

async function* localStashes(root: string | undefined): AsyncGenerator<Found> {
  const top = resolveRoot(root ?? DEFAULTS.root);
  for await (const path of stashFolders(top)) {
    const settings = basename(path);
    yield {
      where: path,
      settings,
      open: { ...parseSettingsFolder(settings)!, root: top, name: relative(top, dirname(path)) },
    };
  }
}

/** Every stash folder below `folder`, depth first (a stash folder's own contents are not searched). */
async function* stashFolders(folder: string): AsyncGenerator<string> {
  let entries;
  try {
    entries = await readdir(folder, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (!entry.isDirectory()) continue;
    const path = join(folder, entry.name);
    if (parseSettingsFolder(entry.name)) yield path;
    else yield* stashFolders(path);
  }
}

async function serverStashes(root: string | undefined, engine: 'redis' | 'mongo', url?: string): Promise<Found[]> {
  if (engine === 'mongo')
    throw new UnsupportedError(
      "ls --engine mongo: not yet (a mongo stash's collection name does not spell out its root and name); name a stash with --root, --name, --engine mongo and --url",
    );
  const server = url ?? urlFromEnvironment('redis') ?? DEFAULT_REDIS_URL;
  const found: Found[] = [];
  for (const stash of await redisStashes(server)) {
    const settings = parseSettingsFolder(stash.settings);
    if (!settings || settings.engine !== 'redis' || (root !== undefined && stash.root !== root)) continue;
    found.push({
      where: `${stash.root}/${stash.name}`,
      settings: stash.settings,
      open: { ...settings, root: stash.root, name: stash.name, url: server },
    });
  }
  return found;
}
