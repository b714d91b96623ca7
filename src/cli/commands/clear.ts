import type { StashFlags } from '../locate.js';
import { withOpenStash } from '../open.js';
import { Output } from '../output.js';
import { UsageError } from '../usage-error.js';

/** `hashstash clear [stash] --yes`: removes every entry; without `--yes`, a usage error and nothing removed. */
export function run(
  path: string | undefined,
  options: StashFlags & { readonly yes?: boolean; readonly json?: boolean },
): Promise<void> {
  if (!options.yes) throw new UsageError('clear removes every entry of the stash: pass --yes to confirm');
  return withOpenStash(
    path,
    options,
    async (stash) => {
      const entries = await stash.size();
      await stash.clear();
      const out = new Output();
      await out.write(
        options.json
          ? `${JSON.stringify({ cleared: entries })}\n`
          : `cleared ${entries} entries from ${String(stash)}\n`,
      );
      await out.close();
    },
    { write: true },
  );
}
