import { DecodeError } from '../errors.js';
import { crc32Of } from '../format/header.js';

/**
 * One stored shard: its items' encoded bytes behind an offset table, so one item is read without decoding the others.
 *
 *   0  'H' 'Q'        magic
 *   2  version        1
 *   3  0              reserved
 *   4  count          uint32 little-endian: items in the shard
 *   8  crc32          uint32 little-endian, over bytes 12 to the end (offsets and items)
 *  12  offsets        count + 1 uint32 little-endian, from the start of the items (the first is 0, the last their length)
 *   …  items          item i is bytes [offsets[i], offsets[i + 1]) of the items
 *
 * The crc covers the offsets and items only, so it also identifies the shard's content: a rebuild must give the same.
 */
const MAGIC_0 = 0x48;
const MAGIC_1 = 0x51;
const VERSION = 1;
export const SHARD_HEADER_SIZE = 12;

/** The stored shard of `items` (their encoded bytes, in order). */
export function encodeShard(items: readonly Uint8Array[]): Uint8Array {
  const count = items.length;
  let itemBytes = 0;
  for (const item of items) itemBytes += item.length;
  const tableEnd = SHARD_HEADER_SIZE + 4 * (count + 1);
  const blob = Buffer.allocUnsafe(tableEnd + itemBytes);
  blob[0] = MAGIC_0;
  blob[1] = MAGIC_1;
  blob[2] = VERSION;
  blob[3] = 0;
  blob.writeUInt32LE(count, 4);
  let offset = 0;
  let at = tableEnd;
  for (let i = 0; i < count; i++) {
    blob.writeUInt32LE(offset, SHARD_HEADER_SIZE + 4 * i);
    const item = items[i]!;
    blob.set(item, at);
    at += item.length;
    offset += item.length;
  }
  blob.writeUInt32LE(offset, SHARD_HEADER_SIZE + 4 * count);
  blob.writeUInt32LE(crc32Of(blob, SHARD_HEADER_SIZE, blob.length), 8);
  return blob;
}

/** A stored shard, checked once, read item by item. */
export class ShardView {
  readonly blob: Uint8Array;
  readonly count: number;
  /** The crc32 of offsets and items: equal content, equal crc. */
  readonly crc: number;
  readonly #view: DataView;
  readonly #itemsStart: number;

  /** @throws {@link DecodeError} for bytes that are not a whole, intact shard (`what` names it in the message). */
  constructor(blob: Uint8Array, what: string) {
    const fail = (why: string): never => { throw new DecodeError(`${what} is not a readable shard: ${why}`); };
    if (blob.length < SHARD_HEADER_SIZE + 4) fail(`${blob.length} bytes is too short`);
    if (blob[0] !== MAGIC_0 || blob[1] !== MAGIC_1) fail('no shard magic');
    if (blob[2] !== VERSION) fail(`format version ${blob[2]}, this hashstash reads ${VERSION}`);
    const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
    const count = view.getUint32(4, true);
    const itemsStart = SHARD_HEADER_SIZE + 4 * (count + 1);
    if (itemsStart > blob.length) fail(`an offset table of ${count} items does not fit in ${blob.length} bytes`);
    if (view.getUint32(SHARD_HEADER_SIZE, true) !== 0 || view.getUint32(itemsStart - 4, true) !== blob.length - itemsStart) {
      fail('its offsets do not span its items');
    }
    const crc = view.getUint32(8, true);
    if (crc32Of(blob, SHARD_HEADER_SIZE, blob.length) !== crc) fail('crc32 mismatch (damaged)');
    this.blob = blob;
    this.count = count;
    this.crc = crc;
    this.#view = view;
    this.#itemsStart = itemsStart;
  }

  /** Item `j`'s encoded bytes, a view into the shard (0 <= j < count). */
  item(j: number): Uint8Array {
    const start = this.#view.getUint32(SHARD_HEADER_SIZE + 4 * j, true);
    const end = this.#view.getUint32(SHARD_HEADER_SIZE + 4 * j + 4, true);
    if (end < start || this.#itemsStart + end > this.blob.length) {
      throw new DecodeError(`item ${j} of a shard has offsets out of order (${start}, ${end})`);
    }
    return this.blob.subarray(this.#itemsStart + start, this.#itemsStart + end);
  }
}
