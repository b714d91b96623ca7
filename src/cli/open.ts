import { HashStash } from '../stash.js';
import { stashOptions, type StashAddress } from './locate.js';

/** Opens the stash `address` names for the length of `work`, closing it after, also when `work` throws. */
export async function withOpenStash<T>(
  address: StashAddress,
  work: (stash: HashStash<unknown, unknown>) => Promise<T>,
  options: { readonly readonly?: boolean } = {},
): Promise<T> {
  const stash = new HashStash<unknown, unknown>({ ...stashOptions(address), readonly: options.readonly ?? false });
  try {
    return await work(stash);
  } finally {
    await stash.close();
  }
}

/** Writes `text` to standard output, waiting when the pipe is full (so a large export keeps bounded memory). */
export function print(text: string): Promise<void> | void {
  if (process.stdout.write(text)) return;
  return new Promise((resolve) => process.stdout.once('drain', resolve));
}
