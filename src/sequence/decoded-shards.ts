import { DecodeError } from '../errors.js';
import type { Serializer } from '../serializers/serializer.js';
import { ShardCache } from './shard-cache.js';
import type { ShardView } from './shard-format.js';
import { HOLE, type StreamingShard } from './streaming-shard.js';

/** One decoded shard in RAM: its stored form and the items decoded so far ({@link HOLE} where not yet). */
export interface ShardEntry {
  readonly view: ShardView;
  readonly values: unknown[];
}

export interface DecodedShardsOptions {
  /** The sequence's name, for error messages. */
  readonly name: string;
  /** Shards held at most. */
  readonly capacity: number;
  readonly serializer: Serializer;
  readonly trustCode: boolean;
}

/** A sequence's shards in RAM (least recently used dropped first), their items decoded when first read. */
export class DecodedShards extends ShardCache<ShardEntry> {
  readonly #name: string;
  readonly #serializer: Serializer;
  readonly #readOptions: { trustCode: boolean };

  constructor(options: DecodedShardsOptions) {
    super(options.capacity);
    this.#name = options.name;
    this.#serializer = options.serializer;
    this.#readOptions = { trustCode: options.trustCode };
  }

  decode(entry: ShardEntry, j: number): unknown {
    let value = entry.values[j];
    if (value === HOLE) {
      value = this.#serializer.deserialize(entry.view.item(j), this.#readOptions);
      entry.values[j] = value;
    }
    return value;
  }

  /**
   * Every item of a shard in one JSON.parse, where it is a JSON array; undefined otherwise. Iteration takes these and
   * keeps none in RAM: items that die young cost the collector little, where 128 shards of them held would outlive the
   * young generation (the shard itself stays in RAM, and `at` decodes and keeps single items).
   */
  parseAll(view: ShardView): unknown[] | undefined {
    if (!view.jsonArray) return undefined;
    let parsed: unknown;
    try {
      parsed = JSON.parse(view.arrayText()!);
    } catch (error) {
      throw new DecodeError(`a shard of sequence '${this.#name}' is marked as a JSON array but does not parse as one`, {
        cause: error,
      });
    }
    if (!Array.isArray(parsed) || parsed.length !== view.count) {
      throw new DecodeError(
        `a shard of sequence '${this.#name}' holds ${view.count} items but its JSON array has ${Array.isArray(parsed) ? parsed.length : 'none'}`,
      );
    }
    return parsed as unknown[];
  }

  /** Item j of shard k as a task produced it: the producer's value, the decoded one in RAM, or decoded now. */
  streamedValue(k: number, stream: StreamingShard, j: number, bytes: Uint8Array): unknown {
    const value = stream.value(j);
    if (value !== HOLE) return value;
    const entry = this.peek(k);
    return entry !== undefined ? this.decode(entry, j) : this.#serializer.deserialize(bytes, this.#readOptions);
  }

  /** Holds shard k in RAM, with the values `stream` has for its items (none decoded without one). */
  remember(k: number, view: ShardView, stream: StreamingShard | undefined): ShardEntry {
    const values = new Array<unknown>(view.count);
    for (let j = 0; j < view.count; j++) values[j] = stream === undefined ? HOLE : stream.value(j);
    const entry: ShardEntry = { view, values };
    this.set(k, entry);
    return entry;
  }
}
