import { ConfigError } from '../errors.js';
import { keyText } from '../keys/encode.js';
import { previewKey } from '../keys/preview.js';
import type { SweepSelect } from './options.js';

/**
 * One stored axis: its values in the order they were first stored (later ones appended by `extend`), so a value's
 * position, and with it the chunk that holds it, never changes.
 */
export class StoredAxis {
  readonly values: unknown[];
  readonly #positions = new Map<string, number>();

  constructor(
    readonly name: string,
    values: readonly unknown[],
    readonly chunkSize: number,
  ) {
    this.values = [];
    this.append(values);
  }

  position(value: unknown): number | undefined {
    return this.#positions.get(keyText(value));
  }

  /** Appends the values not on the axis yet; returns how many were new. */
  append(values: readonly unknown[]): number {
    let added = 0;
    for (const value of values) {
      const text = keyText(value);
      if (this.#positions.has(text)) continue;
      this.#positions.set(text, this.values.length);
      this.values.push(value);
      added++;
    }
    return added;
  }
}

/** The points asked for: per point, its stored position on each axis (in the grid's axis order), flat. */
export interface GridSelection {
  readonly count: number;
  /** `positions[point * axes + a]`: the point's position on axis a of {@link Grid.axes}. */
  readonly positions: Int32Array;
}

/** A chunk and the selected points in it. */
export interface ChunkGroup {
  /** The chunk's index along each axis (position / chunk size), in the grid's axis order. */
  readonly bin: readonly number[];
  /** Selected points in it, as indices into the selection (ascending: grid order). */
  readonly points: number[];
  /** Each point's slot in the chunk: row-major over the chunk sizes, so it does not move when an axis grows. */
  readonly locals: number[];
}

/**
 * A sweep's grid as stored: its axes in name order (the order chunk keys and slots use), and the mapping of points to
 * chunks. A chunk is one bin of `chunkSize` consecutive positions along each axis.
 */
export class Grid {
  readonly axes: readonly StoredAxis[];
  readonly #byName: ReadonlyMap<string, StoredAxis>;
  /** Axis name → its index in {@link axes}. */
  readonly #slots: ReadonlyMap<string, number>;
  /** Requested value lists (which grow only by making a new Grid) → their stored positions. */
  readonly #positions = new WeakMap<readonly unknown[], number[]>();
  readonly #positionSets = new WeakMap<readonly unknown[], Set<number>>();

  constructor(axes: readonly StoredAxis[]) {
    this.axes = [...axes].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    this.#byName = new Map(this.axes.map((axis) => [axis.name, axis]));
    this.#slots = new Map(this.axes.map((axis, slot) => [axis.name, slot]));
  }

  /**
   * The points of `select` over the requested axes `requested` (name → values, in output order): the cartesian product
   * in the order `names` lists the axes, the last one varying fastest.
   *
   * @throws {@link ConfigError} naming an axis `select` names that the sweep lacks, or a value or index not on it.
   */
  select(
    names: readonly string[],
    requested: ReadonlyMap<string, readonly unknown[]>,
    select: SweepSelect | undefined,
  ): GridSelection {
    if (select !== undefined) {
      for (const name of Object.keys(select))
        if (!requested.has(name))
          throw new ConfigError(`sweep select names the axis '${name}', which is not one of ${names.join(', ')}`);
    }
    // Per output axis: the stored positions of its selected values.
    const chosen = names.map((name) => {
      const values = requested.get(name)!;
      const axis = this.#byName.get(name)!;
      const picked = select?.[name];
      const slot = this.#slots.get(name)!;
      if (picked === undefined) return { slot, positions: this.#positionsOf(axis, values) };
      let list: readonly unknown[];
      if (Array.isArray(picked)) {
        const requestedPositions = this.#positionSetOf(axis, values);
        for (const value of picked as readonly unknown[]) {
          const position = axis.position(value);
          if (position === undefined || !requestedPositions.has(position))
            throw new ConfigError(`sweep select: ${previewKey(value)} is not a value of the axis '${name}'`);
        }
        list = picked as readonly unknown[];
      } else if (
        typeof picked === 'object' &&
        picked !== null &&
        Array.isArray((picked as { indices?: unknown }).indices)
      ) {
        list = (picked as { indices: readonly unknown[] }).indices.map((index) => {
          if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= values.length)
            throw new ConfigError(
              `sweep select: index ${String(index)} is not a position on the axis '${name}' (0 to ${values.length - 1})`,
            );
          return values[index];
        });
      } else
        throw new ConfigError(`sweep select of the axis '${name}' must be an array of values or { indices: [...] }`);
      const positions = list.map((value) => axis.position(value)!);
      if (new Set(positions).size !== positions.length) {
        const twice = list.find((_, i) => positions.indexOf(positions[i]) !== i);
        throw new ConfigError(`sweep select lists the value ${previewKey(twice)} of the axis '${name}' twice`);
      }
      return { slot, positions };
    });
    let count = 1;
    for (const { positions } of chosen) count *= positions.length;
    const width = this.axes.length;
    const positions = new Int32Array(count * width);
    const digits = new Array<number>(chosen.length).fill(0);
    for (let point = 0; point < count; point++) {
      for (let a = 0; a < chosen.length; a++)
        positions[point * width + chosen[a].slot] = chosen[a].positions[digits[a]];
      for (let a = chosen.length - 1; a >= 0; a--) {
        if (++digits[a] < chosen[a].positions.length) break;
        digits[a] = 0;
      }
    }
    return { count, positions };
  }

  /** The stored positions of `values` (requested axis values, all on `axis`), computed once per list. */
  #positionsOf(axis: StoredAxis, values: readonly unknown[]): number[] {
    let positions = this.#positions.get(values);
    if (positions === undefined)
      this.#positions.set(values, (positions = values.map((value) => axis.position(value)!)));
    return positions;
  }

  #positionSetOf(axis: StoredAxis, values: readonly unknown[]): Set<number> {
    let set = this.#positionSets.get(values);
    if (set === undefined) this.#positionSets.set(values, (set = new Set(this.#positionsOf(axis, values))));
    return set;
  }

  /** The selection's points by chunk, chunks in the order of their first point. */
  group(selection: GridSelection): ChunkGroup[] {
    const width = this.axes.length;
    const groups = new Map<string, ChunkGroup>();
    const bin = new Array<number>(width);
    for (let point = 0; point < selection.count; point++) {
      let local = 0;
      for (let a = 0; a < width; a++) {
        const position = selection.positions[point * width + a];
        const size = this.axes[a].chunkSize;
        bin[a] = Math.floor(position / size);
        local = local * size + (position % size);
      }
      const id = bin.join(',');
      let group = groups.get(id);
      if (group === undefined) groups.set(id, (group = { bin: bin.slice(), points: [], locals: [] }));
      group.points.push(point);
      group.locals.push(local);
    }
    return [...groups.values()];
  }

  /** The point at index `point` of `selection`, as `{ axis: value }` with the axes in the order of `names`. */
  point(selection: GridSelection, point: number, names: readonly string[]): Record<string, unknown> {
    const width = this.axes.length;
    const result: Record<string, unknown> = {};
    for (const name of names) {
      const slot = this.#slots.get(name)!;
      result[name] = this.axes[slot].values[selection.positions[point * width + slot]];
    }
    return result;
  }
}
