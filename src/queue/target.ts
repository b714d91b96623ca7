import { SERIALIZER_NAMES, type ResolvedOptions } from '../options.js';
import { redactUrl } from '../server-url.js';
import type { StashTarget } from './job.js';

/**
 * Where queue workers can store a stash's results themselves: a writable, one-value-per-key stash on a server
 * (its last tier, for a tiered one), named as any machine opens it: the root as given, the URL without its password.
 */
export function queueTargetOf(options: ResolvedOptions, rootAsGiven: string): StashTarget | undefined {
  const { engine, url, name, serializer, compress, b64, readonly, appendMode, ttl } = options;
  // A serializer object of the producer's own is not the workers' to have: they return results instead.
  const builtIn = (SERIALIZER_NAMES as readonly string[]).includes(serializer);
  if ((engine !== 'redis' && engine !== 'mongo') || readonly || appendMode || !builtIn) return undefined;
  return {
    engine,
    url: url === undefined ? undefined : redactUrl(url),
    root: rootAsGiven,
    name,
    serializer,
    compress,
    b64,
    ...(ttl === undefined ? {} : { ttl }),
  };
}
