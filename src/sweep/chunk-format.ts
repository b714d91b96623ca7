import { DecodeError } from '../errors.js';
import { crc32Of } from '../format/header.js';

/**
 * One stored chunk of a sweep: the points computed so far, each under its slot in the chunk, behind an offset table,
 * so one point is read without decoding the others.
 *
 *   0  'H' 'W'   magic
 *   2  version   1
 *   3  flags     0
 *   4  count     uint32 little-endian: points stored
 *   8  crc32     uint32 little-endian, over bytes 12 to the end
 *  12  slots     count uint32 little-endian, ascending: each point's slot (row-major over the chunk sizes)
 *   …  offsets   count + 1 uint32 little-endian, from the start of the values: where each value starts, and their end
 *   …  values    each the serializer's bytes of the point's value
 */
const MAGIC_0 = 0x48;
const MAGIC_1 = 0x57;
const VERSION = 1;
const HEADER = 12;

/** Encodes points given as slot → value bytes (any order). */
export function encodeChunk(points: ReadonlyMap<number, Uint8Array>): Uint8Array {
  const slots = [...points.keys()].sort((a, b) => a - b);
  const count = slots.length;
  let valueBytes = 0;
  for (const bytes of points.values()) valueBytes += bytes.length;
  const valuesStart = HEADER + 4 * count + 4 * (count + 1);
  const blob = Buffer.allocUnsafe(valuesStart + valueBytes);
  blob[0] = MAGIC_0;
  blob[1] = MAGIC_1;
  blob[2] = VERSION;
  blob[3] = 0;
  blob.writeUInt32LE(count, 4);
  let at = 0;
  const offsets = HEADER + 4 * count;
  for (let i = 0; i < count; i++) {
    blob.writeUInt32LE(slots[i], HEADER + 4 * i);
    blob.writeUInt32LE(at, offsets + 4 * i);
    const bytes = points.get(slots[i])!;
    blob.set(bytes, valuesStart + at);
    at += bytes.length;
  }
  blob.writeUInt32LE(at, offsets + 4 * count);
  blob.writeUInt32LE(crc32Of(blob, HEADER, blob.length), 8);
  return blob;
}

/** A stored chunk, checked once, read point by point. */
export class ChunkView {
  readonly count: number;
  readonly #blob: Uint8Array;
  readonly #view: DataView;
  readonly #valuesStart: number;

  /** @throws {@link DecodeError} for bytes that are not a whole, intact chunk (`what` names it). */
  constructor(blob: Uint8Array, what: string) {
    const fail = (why: string): never => {
      throw new DecodeError(`${what} is damaged: ${why}`);
    };
    if (blob.length < HEADER || blob[0] !== MAGIC_0 || blob[1] !== MAGIC_1) fail('not a sweep chunk');
    if (blob[2] !== VERSION) fail(`format version ${blob[2]}, this hashstash reads ${VERSION}`);
    const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
    const count = view.getUint32(4, true);
    const valuesStart = HEADER + 8 * count + 4;
    if (valuesStart > blob.length) fail('its tables run past its end');
    if (view.getUint32(8, true) !== crc32Of(blob, HEADER, blob.length)) fail('its checksum does not match');
    let previousSlot = -1;
    let previousOffset = 0;
    for (let i = 0; i < count; i++) {
      const slot = view.getUint32(HEADER + 4 * i, true);
      if (slot <= previousSlot) fail('its slots are out of order');
      previousSlot = slot;
    }
    for (let i = 0; i <= count; i++) {
      const offset = view.getUint32(HEADER + 4 * count + 4 * i, true);
      if (offset < previousOffset) fail('its offsets are out of order');
      previousOffset = offset;
    }
    if (valuesStart + previousOffset !== blob.length) fail('its length does not match its offsets');
    this.count = count;
    this.#blob = blob;
    this.#view = view;
    this.#valuesStart = valuesStart;
  }

  /** The index of the point in `slot`, or -1 when it is not stored. */
  find(slot: number): number {
    let low = 0;
    let high = this.count - 1;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      const at = this.#view.getUint32(HEADER + 4 * middle, true);
      if (at === slot) return middle;
      if (at < slot) low = middle + 1;
      else high = middle - 1;
    }
    return -1;
  }

  slot(index: number): number {
    return this.#view.getUint32(HEADER + 4 * index, true);
  }

  /** The value bytes of the point at `index` (a view into the chunk). */
  value(index: number): Uint8Array {
    const table = HEADER + 4 * this.count;
    const start = this.#view.getUint32(table + 4 * index, true);
    const end = this.#view.getUint32(table + 4 * index + 4, true);
    return this.#blob.subarray(this.#valuesStart + start, this.#valuesStart + end);
  }
}

/** `stored` (may be absent) with `added` points merged in; a point already stored is kept as it is. */
export function mergeChunk(stored: ChunkView | undefined, added: ReadonlyMap<number, Uint8Array>): Uint8Array {
  const points = new Map<number, Uint8Array>(added);
  if (stored) for (let i = 0; i < stored.count; i++) points.set(stored.slot(i), stored.value(i));
  return encodeChunk(points);
}
