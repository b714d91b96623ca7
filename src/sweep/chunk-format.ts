import { DecodeError } from '../errors.js';
import { crc32Of } from '../format/header.js';

/**
 * One stored chunk of a sweep: the points computed so far, each under its slot in the chunk, behind an offset table,
 * so one point is read and checked without reading, checking or decoding the others.
 *
 *   0  'H' 'W'   magic
 *   2  version   1
 *   3  flags     0
 *   4  count     uint32 little-endian: points stored
 *   8  crc32     uint32 little-endian, of bytes 0 to 8
 *  12  slots     count uint32 little-endian, ascending: each point's slot (row-major over the chunk sizes)
 *   …  offsets   count + 1 uint32 little-endian, from the start of the values: where each value starts, and their end
 *   …  checksums count uint32 little-endian: the crc32 of each point's slot (its 4 bytes) followed by its value
 *   …  values    each the serializer's bytes of the point's value
 *
 * A point's checksum covers its slot, so a damaged slot, offset or value is caught when that point is read; a
 * damaged slot that hides a point makes it look missing, and the merge that would store it again reads (and checks)
 * every stored point first.
 */
const MAGIC_0 = 0x48;
const MAGIC_1 = 0x57;
const VERSION = 1;
const HEADER = 12;

/** Where the tables end (the values start), for `count` points. */
const valuesStartOf = (count: number) => HEADER + 4 * count + 4 * (count + 1) + 4 * count;

/** The checksum of the point whose slot is at `slotAt` and value at `[start, end)` of `blob`. */
const pointChecksum = (blob: Uint8Array, slotAt: number, start: number, end: number) =>
  crc32Of(blob, start, end, crc32Of(blob, slotAt, slotAt + 4));

/** Encodes points given as slot → value bytes (any order). */
export function encodeChunk(points: ReadonlyMap<number, Uint8Array>): Uint8Array {
  const slots = [...points.keys()].sort((a, b) => a - b);
  const count = slots.length;
  let valueBytes = 0;
  for (const bytes of points.values()) valueBytes += bytes.length;
  const valuesStart = valuesStartOf(count);
  const blob = Buffer.allocUnsafe(valuesStart + valueBytes);
  blob[0] = MAGIC_0;
  blob[1] = MAGIC_1;
  blob[2] = VERSION;
  blob[3] = 0;
  blob.writeUInt32LE(count, 4);
  blob.writeUInt32LE(crc32Of(blob, 0, 8), 8);
  const offsets = HEADER + 4 * count;
  const checksums = offsets + 4 * (count + 1);
  let at = 0;
  for (let i = 0; i < count; i++) {
    const bytes = points.get(slots[i])!;
    blob.writeUInt32LE(slots[i], HEADER + 4 * i);
    blob.writeUInt32LE(at, offsets + 4 * i);
    blob.set(bytes, valuesStart + at);
    blob.writeUInt32LE(
      pointChecksum(blob, HEADER + 4 * i, valuesStart + at, valuesStart + at + bytes.length),
      checksums + 4 * i,
    );
    at += bytes.length;
  }
  blob.writeUInt32LE(at, offsets + 4 * count);
  return blob;
}

/** A stored chunk, read point by point, each point checked when it is read. */
export class ChunkView {
  readonly count: number;
  readonly #blob: Uint8Array;
  readonly #view: DataView;
  readonly #what: string;
  readonly #offsets: number;
  readonly #checksums: number;
  readonly #valuesStart: number;

  /** @throws {@link DecodeError} for bytes that are not a whole chunk (`what` names it). */
  constructor(blob: Uint8Array, what: string) {
    this.#what = what;
    if (blob.length < HEADER || blob[0] !== MAGIC_0 || blob[1] !== MAGIC_1) this.#fail('not a sweep chunk');
    if (blob[2] !== VERSION) this.#fail(`format version ${blob[2]}, this hashstash reads ${VERSION}`);
    const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
    if (view.getUint32(8, true) !== crc32Of(blob, 0, 8)) this.#fail('its header checksum does not match');
    const count = view.getUint32(4, true);
    const valuesStart = valuesStartOf(count);
    const offsets = HEADER + 4 * count;
    if (valuesStart > blob.length || valuesStart + view.getUint32(offsets + 4 * count, true) !== blob.length)
      this.#fail('its length does not match its tables');
    this.count = count;
    this.#blob = blob;
    this.#view = view;
    this.#offsets = offsets;
    this.#checksums = offsets + 4 * (count + 1);
    this.#valuesStart = valuesStart;
  }

  #fail(why: string): never {
    throw new DecodeError(`${this.#what} is damaged: ${why}`);
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

  /**
   * The value bytes of the point at `index` (a view into the chunk).
   *
   * @throws {@link DecodeError} when its slot, place or bytes do not match its checksum.
   */
  value(index: number): Uint8Array {
    const start = this.#valuesStart + this.#view.getUint32(this.#offsets + 4 * index, true);
    const end = this.#valuesStart + this.#view.getUint32(this.#offsets + 4 * index + 4, true);
    const slot = this.slot(index);
    if (end < start || end > this.#blob.length) this.#fail(`the point in slot ${slot} lies outside it`);
    if (
      pointChecksum(this.#blob, HEADER + 4 * index, start, end) !==
      this.#view.getUint32(this.#checksums + 4 * index, true)
    )
      this.#fail(`the checksum of the point in slot ${slot} does not match`);
    return this.#blob.subarray(start, end);
  }
}

/**
 * `stored` (may be absent) with `added` points merged in; a point already stored is kept as it is (checked first, so a
 * damaged one is a DecodeError rather than a value given a fresh checksum).
 */
export function mergeChunk(stored: ChunkView | undefined, added: ReadonlyMap<number, Uint8Array>): Uint8Array {
  const points = new Map<number, Uint8Array>(added);
  if (stored) for (let i = 0; i < stored.count; i++) points.set(stored.slot(i), stored.value(i));
  return encodeChunk(points);
}
