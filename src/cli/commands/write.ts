import { ConfigError } from '../../errors.js';
import { withOpenStash, print } from '../open.js';
import type { StashAddress } from '../locate.js';

/** `hashstash clear --yes`: removes every entry; without `--yes` it refuses (a usage the user must confirm). */
export function clear(
  address: StashAddress,
  options: { readonly yes?: boolean; readonly json?: boolean },
): Promise<void> {
  if (!options.yes) throw new ConfigError('clear removes every entry: pass --yes to confirm');
  return withOpenStash(address, async (stash) => {
    const entries = await stash.size();
    await stash.clear();
    await print(
      options.json ? `${JSON.stringify({ cleared: entries })}\n` : `cleared ${entries} entries from ${String(stash)}\n`,
    );
  });
}

/** `hashstash purge-expired`: removes the expired entries and says how many. */
export function purgeExpired(address: StashAddress, options: { readonly json?: boolean }): Promise<void> {
  return withOpenStash(address, async (stash) => {
    const purged = await stash.purgeExpired();
    await print(
      options.json ? `${JSON.stringify({ purged })}\n` : `purged ${purged} expired entries from ${String(stash)}\n`,
    );
  });
}
