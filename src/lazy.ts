import { createRequire } from 'node:module';

/**
 * A module loaded the first time it is needed, synchronously: Node >= 20.19 `require`s an ES module (one without
 * top-level await) and shares it with `import`, so a module loaded here and imported elsewhere is one instance.
 * Importing hashstash loads only the facade this way; engines, serializers, codecs, the map machinery and the rest
 * load when a program first uses them. `from` is the caller's `import.meta.url`, `specifier` relative to it.
 */
export function lazy<T>(from: string, specifier: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= createRequire(from)(specifier) as T);
}
