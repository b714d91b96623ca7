import { Buffer } from 'node:buffer';

/** The typed array classes the format carries; each one's name is its tag. */
export type TypedArrayConstructor =
  | Int8ArrayConstructor
  | Uint8ArrayConstructor
  | Uint8ClampedArrayConstructor
  | Int16ArrayConstructor
  | Uint16ArrayConstructor
  | Int32ArrayConstructor
  | Uint32ArrayConstructor
  | Float32ArrayConstructor
  | Float64ArrayConstructor
  | BigInt64ArrayConstructor
  | BigUint64ArrayConstructor;

export const TYPED_ARRAYS: ReadonlyMap<string, TypedArrayConstructor> = new Map<string, TypedArrayConstructor>([
  ['Int8Array', Int8Array],
  ['Uint8Array', Uint8Array],
  ['Uint8ClampedArray', Uint8ClampedArray],
  ['Int16Array', Int16Array],
  ['Uint16Array', Uint16Array],
  ['Int32Array', Int32Array],
  ['Uint32Array', Uint32Array],
  ['Float32Array', Float32Array],
  ['Float64Array', Float64Array],
  ['BigInt64Array', BigInt64Array],
  ['BigUint64Array', BigUint64Array],
]);

/** Stored bytes are little-endian whatever the machine, so data moves between machines unchanged. */
const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function swapBytes(bytes: Uint8Array, elementSize: number): Uint8Array {
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i += elementSize) {
    for (let j = 0; j < elementSize; j++) out[i + j] = bytes[i + elementSize - 1 - j]!;
  }
  return out;
}

/** Base64 of the bytes a view covers (not its whole buffer), elements little-endian. */
export function viewToBase64(view: ArrayBufferView, elementSize: number): string {
  let bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  if (!HOST_IS_LITTLE_ENDIAN && elementSize > 1) bytes = swapBytes(bytes, elementSize);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

export function arrayBufferToBase64(buffer: ArrayBuffer): string {
  return Buffer.from(buffer).toString('base64');
}

/** The bytes of stored base64, or undefined when the text is not well-formed base64. */
export function base64ToBuffer(text: unknown): Buffer | undefined {
  if (typeof text !== 'string' || text.length % 4 !== 0 || !BASE64.test(text)) return undefined;
  return Buffer.from(text, 'base64');
}

/** A fresh, aligned ArrayBuffer holding the bytes, elements converted from little-endian to the host's order. */
export function toOwnArrayBuffer(bytes: Uint8Array, elementSize: number): ArrayBuffer {
  const own = new Uint8Array(bytes.length);
  own.set(!HOST_IS_LITTLE_ENDIAN && elementSize > 1 ? swapBytes(bytes, elementSize) : bytes);
  return own.buffer;
}
