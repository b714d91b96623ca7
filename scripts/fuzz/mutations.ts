import { crc32 } from 'node:zlib';
import type { Codec } from '../../src/codecs/codec.js';
import { FLAG_UNCOMPRESSED, HEADER_SIZE } from '../../src/format/header.js';
import type { Random } from './random.js';

/**
 * How an input was made from a valid sample. The first seven work on any bytes; the last three know the blob header
 * (magic, version, serializer id, codec id, flags, body length at 6, body crc32 at 10, body from 14).
 *
 *   random          random bytes, no sample at all
 *   truncate        a proper prefix
 *   bit-flip        one to eight bits flipped
 *   overwrite       one to four bytes set to 0x00, 0xff, 0x7f, 0x80, a space or a random byte
 *   insert          random bytes, or a copy of a run of the input, put in somewhere
 *   delete          a run cut out
 *   splice          the start of the input followed by the end of another sample
 *   header          a header field changed (flags, version, ids, magic, length, crc), the crc left as it was
 *   crc-recomputed  the body changed by one of the byte mutations, or a 4-byte field at either end of it (lz4's
 *                   size prefix, gzip's length) set to any number, then the header's length and crc32 rewritten to
 *                   match: corruption the header cannot see
 *   garbage-body    a valid header (the sample's ids and flags, length and crc32 computed) over random bytes
 *   recompressed    the serialized value inside the body changed by a byte mutation, or replaced by a long run of one
 *                   byte, then compressed again with the blob's codec and sealed as above: damage that reaches the
 *                   serializer through a valid compressed stream
 */
export type Mutation =
  | 'random'
  | 'truncate'
  | 'bit-flip'
  | 'overwrite'
  | 'insert'
  | 'delete'
  | 'splice'
  | 'header'
  | 'crc-recomputed'
  | 'garbage-body'
  | 'recompressed';

export type ByteMutation = Exclude<Mutation, 'header' | 'crc-recomputed' | 'garbage-body' | 'recompressed'>;

export const BYTE_MUTATIONS: readonly (readonly [ByteMutation, number])[] = [
  ['random', 5],
  ['truncate', 15],
  ['bit-flip', 25],
  ['overwrite', 15],
  ['insert', 8],
  ['delete', 8],
  ['splice', 5],
];

export const BLOB_MUTATIONS: readonly (readonly [Mutation, number])[] = [
  ...BYTE_MUTATIONS,
  ['header', 12],
  ['crc-recomputed', 20],
  ['garbage-body', 6],
  ['recompressed', 15],
];

const INTERESTING_BYTES = [0x00, 0xff, 0x7f, 0x80, 0x20];

export function mutateBytes(random: Random, bytes: Uint8Array, kind: ByteMutation, other: Uint8Array): Uint8Array {
  const length = bytes.length;
  switch (kind) {
    case 'random':
      return random.bytes(random.length(4096));
    case 'truncate':
      return bytes.slice(0, random.below(length));
    case 'bit-flip': {
      if (length === 0) return random.bytes(1);
      const copy = Buffer.from(bytes);
      for (let flips = random.between(1, 8); flips > 0; flips--) copy[random.below(length)] ^= 1 << random.below(8);
      return copy;
    }
    case 'overwrite': {
      if (length === 0) return random.bytes(1);
      const copy = Buffer.from(bytes);
      for (let writes = random.between(1, 4); writes > 0; writes--) {
        copy[random.below(length)] = random.chance(0.7) ? random.pick(INTERESTING_BYTES) : random.below(256);
      }
      return copy;
    }
    case 'insert': {
      const at = random.below(length + 1);
      const start = random.below(length + 1);
      const inserted =
        random.chance(0.5) || length === 0
          ? random.bytes(random.between(1, 64))
          : bytes.subarray(start, start + random.between(1, 64));
      return Buffer.concat([bytes.subarray(0, at), inserted, bytes.subarray(at)]);
    }
    case 'delete': {
      if (length === 0) return bytes;
      const at = random.below(length);
      return Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + random.between(1, 64))]);
    }
    case 'splice':
      return Buffer.concat([
        bytes.subarray(0, random.below(length + 1)),
        other.subarray(random.below(other.length + 1)),
      ]);
  }
}

/** A header field changed; the crc32 is not recomputed. */
export function corruptHeader(random: Random, blob: Uint8Array): Uint8Array {
  const copy = Buffer.from(blob);
  if (copy.length < HEADER_SIZE) return copy;
  switch (random.below(6)) {
    case 0: // flags: bit 0 says the body is uncompressed, bit 1 that the blob was base64-encoded, the rest are unused
      copy[5] ^= 1 << random.below(8);
      break;
    case 1:
      copy[2] = random.pick([0, 2, 0xff]);
      break;
    case 2:
      copy[random.between(3, 4)] = random.chance(0.5)
        ? random.pick([0x68, 0x64, 0x76, 0x6c, 0x7a, 0x67, 0x62, 0x72, 0x36])
        : random.below(256);
      break;
    case 3:
      copy[random.below(2)] ^= 1 << random.below(8);
      break;
    case 4:
      copy.writeUInt32LE((copy.readUInt32LE(6) + random.pick([-1, 1, 2 ** 31, 2 ** 32 - 1])) >>> 0, 6);
      break;
    default:
      copy[random.between(10, 13)] ^= 1 << random.below(8);
  }
  return copy;
}

/** The body changed, then the header's length and crc32 made to match it. */
export function corruptBodyKeepingCrc(random: Random, blob: Uint8Array, other: Uint8Array): Uint8Array {
  if (blob.length < HEADER_SIZE) return blob;
  let body: Uint8Array = Buffer.from(blob.subarray(HEADER_SIZE));
  if (random.chance(0.3) && body.length >= 4) {
    const at = random.chance(0.5) ? 0 : body.length - 4;
    const size = random.chance(0.5) ? random.uint32() : random.below(1 << random.below(26));
    Buffer.from(body.buffer, body.byteOffset, body.byteLength).writeUInt32LE(size, at);
  } else {
    const kind = random.weighted(BYTE_MUTATIONS.filter(([name]) => name !== 'random'));
    body = mutateBytes(random, body, kind, other.subarray(Math.min(HEADER_SIZE, other.length)));
  }
  return sealed(blob.subarray(0, 6), body);
}

/** The sample's header (ids, and flags perhaps with the uncompressed bit flipped) over random bytes, sealed. */
export function garbageBody(random: Random, blob: Uint8Array): Uint8Array {
  const head = Buffer.from(blob.subarray(0, 6));
  if (head.length === 6 && random.chance(0.5)) head[5] ^= 1;
  return sealed(head, random.bytes(random.length(4096)));
}

/** The value inside a valid blob changed, compressed again with the blob's `codec` (unless stored uncompressed), sealed. */
export function corruptSerialized(random: Random, blob: Uint8Array, codec: Codec, other: Uint8Array): Uint8Array {
  if (blob.length < HEADER_SIZE) return blob;
  let changed: Uint8Array;
  if (random.chance(0.1)) {
    changed = Buffer.alloc(random.length(1 << 22), random.pick([0x20, 0x30, 0x5b, 0x7b, 0x22, 0xff]));
  } else {
    const kind = random.weighted(BYTE_MUTATIONS.filter(([name]) => name !== 'random'));
    changed = mutateBytes(random, serializedIn(blob, codec), kind, serializedIn(other, codec));
  }
  return sealed(blob.subarray(0, 6), blob[5] & FLAG_UNCOMPRESSED ? changed : codec.encode(changed));
}

/** The serializer's output inside a valid blob. */
function serializedIn(blob: Uint8Array, codec: Codec): Uint8Array {
  const body = blob.subarray(HEADER_SIZE);
  return blob[5] & FLAG_UNCOMPRESSED ? body : codec.decode(body);
}

/** The first six header bytes, then the body's length and crc32, then the body. */
function sealed(head: Uint8Array, body: Uint8Array): Buffer {
  const blob = Buffer.alloc(HEADER_SIZE + body.length);
  blob.set(head.subarray(0, 6));
  blob.writeUInt32LE(body.length, 6);
  blob.writeUInt32LE(crc32(body), 10);
  blob.set(body, HEADER_SIZE);
  return blob;
}
