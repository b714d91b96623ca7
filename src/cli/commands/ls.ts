import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { DEFAULTS, resolveRoot } from '../../options.js';
import { HashStash } from '../../stash.js';
import { parseSettingsFolder } from '../locate.js';
import { print } from '../open.js';

/** `hashstash ls [root]`: the stash folders under `root` (local engines), each with its entries and bytes. */
export async function list(root: string | undefined, options: { readonly json?: boolean }): Promise<void> {
  const top = resolveRoot(root ?? DEFAULTS.root);
  for await (const path of stashFolders(top)) {
    const settings = parseSettingsFolder(path.split('/').pop()!)!;
    const name = relative(top, join(path, '..'));
    const stash = new HashStash({ ...settings, root: top, name, readonly: true });
    try {
      const stats = await stash.stats();
      const row = { path, name, ...settings, entries: stats.entries, bytes: stats.bytesUsed ?? null };
      await print(
        options.json
          ? `${JSON.stringify(row)}\n`
          : `${name}\t${settings.engine}.${settings.serializer}.${settings.compress}${settings.b64 ? '+b64' : ''}\t${row.entries} entries\t${row.bytes ?? '?'} bytes\n`,
      );
    } finally {
      await stash.close();
    }
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
  for (const entry of entries) {
    if (!entry.isDirectory()) continue;
    const path = join(folder, entry.name);
    if (parseSettingsFolder(entry.name)) yield path;
    else yield* stashFolders(path);
  }
}
