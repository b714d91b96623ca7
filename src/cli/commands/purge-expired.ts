import type { StashFlags } from '../locate.js';
import { withOpenStash } from '../open.js';
import { Output } from '../output.js';

/** `hashstash purge-expired [stash]`: removes the entries whose ttl has run out, and says how many. */
export function run(path: string | undefined, options: StashFlags & { readonly json?: boolean }): Promise<void> {
  return withOpenStash(
    path,
    options,
    async (stash) => {
      const purged = await stash.purgeExpired();
      const out = new Output();
      await out.write(
        options.json ? `${JSON.stringify({ purged })}\n` : `purged ${purged} expired entries from ${String(stash)}\n`,
      );
      await out.close();
    },
    { write: true },
  );
}
