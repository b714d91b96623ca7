import { createRequire } from 'node:module';
import { UnsupportedError } from './errors.js';

/**
 * A module loaded the first time it is needed, synchronously: Node >= 20.19 `require`s an ES module (one without
 * top-level await) and shares it with `import`, so a module loaded here and imported elsewhere is one instance.
 * Importing hashstash loads only the facade this way; engines, serializers, codecs, the map machinery and the rest
 * load when a program first uses them. `from` is the caller's `import.meta.url`, `specifier` relative to it.
 */
export function lazy<T>(from: string, specifier: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= load<T>(from, specifier));
}

function load<T>(from: string, specifier: string): T {
  try {
    return createRequire(from)(specifier) as T;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ERR_REQUIRE_ESM') throw error;
    throw new UnsupportedError(
      `hashstash loads its parts on first use by require() of an ES module, which this Node does not allow ` +
        `(it needs Node >= 20.19 without --no-experimental-require-module): ${(error as Error).message}`,
      { cause: error },
    );
  }
}
