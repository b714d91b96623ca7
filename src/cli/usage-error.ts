/**
 * A command used wrongly (the stash named two ways, `clear` without `--yes`): the command line prints it and exits 2,
 * as for an unknown flag. Thrown before any storage is touched.
 */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
