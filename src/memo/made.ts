import type { HashStash } from '../stash.js';

/**
 * The sub-stashes memos made under each stash, by name: one object per function, closed with the stash. Apart from
 * the memo code so that closing a stash that never memoized loads none of it.
 */
const memoStashes = new WeakMap<HashStash, Map<string, HashStash>>();

/** `parent.sub(name)`, made once per name, so memos of one function share it and `parent.close()` closes it. */
export function memoStash<R>(parent: HashStash, name: string): HashStash<unknown[], R> {
  let made = memoStashes.get(parent);
  if (!made) memoStashes.set(parent, (made = new Map()));
  let stash = made.get(name);
  if (!stash) made.set(name, (stash = parent.sub<unknown[], R>(name)));
  return stash;
}

export async function closeMemoStashes(parent: HashStash): Promise<void> {
  const made = memoStashes.get(parent);
  if (!made) return;
  memoStashes.delete(parent);
  await Promise.all([...made.values()].map((stash) => stash.close()));
}
