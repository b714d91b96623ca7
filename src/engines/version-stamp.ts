/**
 * A new version's timestamp, taken in the step that gives the version its number: this process's clock, or the previous
 * version's timestamp when that is later (the process that wrote it had a clock running ahead, or this clock was set
 * back since), so timestamps never go down as version numbers go up.
 */
export function versionTimestamp(previous: number | undefined): number {
  const now = Date.now();
  return previous !== undefined && previous > now ? previous : now;
}
