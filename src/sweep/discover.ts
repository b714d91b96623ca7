import { ConfigError } from '../errors.js';
import { keyText } from '../keys/encode.js';
import { getSerializer } from '../serializers/index.js';
import { SWEEP_STASH, type SweepParent } from './host.js';
import type { SweepAxes } from './options.js';
import { SweepStore, type SweepManifest } from './store.js';
import { Sweep } from './sweep.js';

/** What `stash.sweeps(query)` looks for. */
export interface SweepQuery<A extends SweepAxes = SweepAxes, P = unknown> {
  /** The params, compared as keys; default `{}`. */
  readonly params?: P;
  /** Axes the sweep must cover: the same names, and these values (exactly, or at least with `allowSuperset`). */
  readonly axes?: A;
  /** Also sweeps whose axes hold more values than `axes` asks for (they serve it as a sub-grid). */
  readonly allowSuperset?: boolean;
}

function covers(manifest: SweepManifest, axes: SweepAxes, allowSuperset: boolean): boolean {
  const names = Object.keys(manifest.axes);
  if (names.length !== Object.keys(axes).length || names.some((name) => !Object.hasOwn(axes, name))) return false;
  return names.every((name) => {
    const stored = new Set(manifest.axes[name].map((value) => keyText(value)));
    const asked = new Set(axes[name].map((value) => keyText(value)));
    for (const value of asked) if (!stored.has(value)) return false;
    return allowSuperset || stored.size === asked.size;
  });
}

/**
 * The stored sweeps with these params that cover `axes` (any chunking), each as a {@link Sweep} over the axes asked
 * for (or its whole stored grid when none are given).
 *
 * @throws {@link ConfigError} for a bad query.
 */
export async function findSweeps<A extends SweepAxes, P>(
  parent: SweepParent,
  query: SweepQuery<A, P>,
): Promise<Sweep<A, P>[]> {
  if (typeof query !== 'object' || query === null)
    throw new ConfigError('stash.sweeps takes { params, axes, allowSuperset }');
  for (const name of Object.keys(query))
    if (!['params', 'axes', 'allowSuperset'].includes(name))
      throw new ConfigError(`stash.sweeps has no option '${name}'; valid options are params, axes, allowSuperset`);
  const params = keyText(query.params ?? {});
  const stash = parent.sub(SWEEP_STASH, { compress: 'raw', b64: false, appendMode: false });
  const found: Sweep<A, P>[] = [];
  try {
    const store = new SweepStore(stash.engine, getSerializer(stash.options.serializer), stash.options.trustCode);
    for await (const { manifest } of store.manifests()) {
      if (keyText(manifest.params) !== params) continue;
      if (query.axes && !covers(manifest, query.axes, query.allowSuperset === true)) continue;
      const axes = (query.axes ?? manifest.axes) as A;
      found.push(new Sweep<A, P>(parent, { params: manifest.params as P, axes, chunk: manifest.chunk }));
    }
  } finally {
    await stash.close();
  }
  return found;
}
