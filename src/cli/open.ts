import { HashStash } from '../stash.js';
import { stashOptions, type StashFlags } from './locate.js';

export interface OpenOptions {
  /** Open it readonly (the default): commands that write say so. */
  readonly write?: boolean;
  /** A local stash may be created (import); otherwise it must exist. */
  readonly create?: boolean;
  /** The stash's clock (its `clock` option). */
  readonly clock?: () => number;
}

/** Opens the stash `path` or `flags` name (see stashOptions) for the length of `work`, closing it after. */
export async function withOpenStash<T>(
  path: string | undefined,
  flags: StashFlags,
  work: (stash: HashStash<unknown, unknown>) => Promise<T>,
  options: OpenOptions = {},
): Promise<T> {
  const stash = new HashStash<unknown, unknown>({
    ...stashOptions(path, flags, options.create ?? false),
    readonly: !(options.write ?? false),
    ...(options.clock ? { clock: options.clock } : {}),
  });
  try {
    return await work(stash);
  } finally {
    await stash.close();
  }
}
