import { DecodeError } from '../errors.js';
import { crc32Of } from '../format/header.js';

/**
 * One stored shard: its items' encoded bytes behind an offset table, so one item is read without decoding the others.
 *
 *   0  'H' 'Q'        magic
 *   2  version        1
 *   3  flags          bit 0 (JSON_ARRAY): the items are JSON text, written as one JSON array `[a,b,c]`
 *   4  count          uint32 little-endian: items in the shard
 *   8  crc32          uint32 little-endian, over bytes 12 to the end (offsets and items)
 *  12  offsets        count + 1 uint32 little-endian, from the start of the items: where each item starts, and
 *                     the items' length last
 *   …  items          item i is bytes [offsets[i], offsets[i + 1]) of the items; with JSON_ARRAY, less the one byte
 *                     (`,` or `]`) that ends it, and the first starts after `[`
 *
 * The crc covers the offsets and items only, so it also identifies the shard's content: a rebuild must give the same.
 * JSON_ARRAY lets a reader of the whole shard decode it in one JSON.parse (the hashstash serializer writes plain values
 * as plain JSON), while `at(i)` still reads one item.
 */
const MAGIC_0 = 0x48;
const MAGIC_1 = 0x51;
const VERSION = 1;
export const SHARD_HEADER_SIZE = 12;
const JSON_ARRAY = 0b1;
const OPEN = 0x5b; // [
const COMMA = 0x2c;
const CLOSE = 0x5d; // ]

/**
 * The stored shard of `items` (their encoded bytes, in order); `jsonArray` when every item is JSON text (see the
 * format), so the whole shard parses as one array.
 */
export function encodeShard(items: readonly Uint8Array[], jsonArray = false): Uint8Array {
  const count = items.length;
  const json = jsonArray && count > 0;
  let itemBytes = json ? 1 + count : 0;
  for (const item of items) itemBytes += item.length;
  const tableEnd = SHARD_HEADER_SIZE + 4 * (count + 1);
  const blob = Buffer.allocUnsafe(tableEnd + itemBytes);
  blob[0] = MAGIC_0;
  blob[1] = MAGIC_1;
  blob[2] = VERSION;
  blob[3] = json ? JSON_ARRAY : 0;
  blob.writeUInt32LE(count, 4);
  let at = tableEnd;
  if (json) blob[at++] = OPEN;
  for (let i = 0; i < count; i++) {
    blob.writeUInt32LE(at - tableEnd, SHARD_HEADER_SIZE + 4 * i);
    const item = items[i];
    blob.set(item, at);
    at += item.length;
    if (json) blob[at++] = i === count - 1 ? CLOSE : COMMA;
  }
  blob.writeUInt32LE(at - tableEnd, SHARD_HEADER_SIZE + 4 * count);
  blob.writeUInt32LE(crc32Of(blob, SHARD_HEADER_SIZE, blob.length), 8);
  return blob;
}

/** True when `bytes` (output of the hashstash serializer) is plain JSON, not its tagged form `{"~":…`. */
export function isPlainJsonText(bytes: Uint8Array): boolean {
  return !(bytes[0] === 0x7b && bytes[1] === 0x22 && bytes[2] === 0x7e && bytes[3] === 0x22);
}

/** A stored shard, checked once, read item by item. */
export class ShardView {
  readonly blob: Uint8Array;
  readonly count: number;
  /** The crc32 of offsets and items: equal content, equal crc. */
  readonly crc: number;
  /** The items are one JSON array (see the format). */
  readonly jsonArray: boolean;
  readonly #view: DataView;
  readonly #itemsStart: number;
  /** 1 with JSON_ARRAY: the separator after each item. */
  readonly #tail: number;

  /** @throws {@link DecodeError} for bytes that are not a whole, intact shard (`what` names it in the message). */
  constructor(blob: Uint8Array, what: string) {
    const fail = (why: string): never => {
      throw new DecodeError(`${what} is not a readable shard: ${why}`);
    };
    if (blob.length < SHARD_HEADER_SIZE + 4) fail(`${blob.length} bytes is too short`);
    if (blob[0] !== MAGIC_0 || blob[1] !== MAGIC_1) fail('no shard magic');
    if (blob[2] !== VERSION) fail(`format version ${blob[2]}, this hashstash reads ${VERSION}`);
    const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
    const count = view.getUint32(4, true);
    const itemsStart = SHARD_HEADER_SIZE + 4 * (count + 1);
    if (itemsStart > blob.length) fail(`an offset table of ${count} items does not fit in ${blob.length} bytes`);
    const jsonArray = (blob[3] & JSON_ARRAY) !== 0;
    if (
      view.getUint32(SHARD_HEADER_SIZE, true) !== (jsonArray ? 1 : 0) ||
      view.getUint32(itemsStart - 4, true) !== blob.length - itemsStart
    ) {
      fail('its offsets do not span its items');
    }
    const crc = view.getUint32(8, true);
    if (crc32Of(blob, SHARD_HEADER_SIZE, blob.length) !== crc) fail('crc32 mismatch (damaged)');
    this.blob = blob;
    this.count = count;
    this.crc = crc;
    this.#view = view;
    this.#itemsStart = itemsStart;
    this.jsonArray = jsonArray;
    this.#tail = jsonArray ? 1 : 0;
  }

  /** With JSON_ARRAY, the text of all items as one JSON array; undefined otherwise. */
  arrayText(): string | undefined {
    if (!this.jsonArray) return undefined;
    return Buffer.from(this.blob.buffer, this.blob.byteOffset, this.blob.byteLength).toString(
      'utf8',
      this.#itemsStart,
      this.blob.length,
    );
  }

  /** Item `j`'s encoded bytes, a view into the shard (0 <= j < count). */
  item(j: number): Uint8Array {
    const start = this.#view.getUint32(SHARD_HEADER_SIZE + 4 * j, true);
    const end = this.#view.getUint32(SHARD_HEADER_SIZE + 4 * j + 4, true) - this.#tail;
    if (end < start || this.#itemsStart + end > this.blob.length) {
      throw new DecodeError(`item ${j} of a shard has offsets out of order (${start}, ${end})`);
    }
    return this.blob.subarray(this.#itemsStart + start, this.#itemsStart + end);
  }
}
