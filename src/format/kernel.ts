import { Buffer } from 'node:buffer';

/**
 * The read path's WebAssembly kernel (kernel.wat, assembled by wabt 1.0.39 with SIMD and bulk memory on; 891 bytes):
 * - `scan(p, end)`: where a JSON string ends (the first byte below 0x20, '"' or '\\'), 64 bytes at a time, for
 *   json-bytes.ts;
 * - `lz4(ip, iend, op, oend)`: an LZ4 block decoded with 16-byte copies, for the lz4 codec's read path, which then
 *   parses the text where it was decoded.
 * Both work inside the kernel's own memory, which holds one value at a time: callers copy input in, use the output
 * synchronously, and keep nothing that points into it.
 */
const KERNEL_WASM =
  'AGFzbQEAAAABDwJgAn9/AX9gBH9/f38BfwMDAgABBQMBAAEHFwMGbWVtb3J5AgAEc2NhbgAAA2x6NAABCrwGAtcCAgV7AX/9DODg4ODg4ODg4ODg4ODg4OAhA/0MIiIiIiIiIiIiIiIiIiIiIiEF/QxcXFxcXFxcXFxcXFxcXFxcIQYCQANAIABBwABqIAFLDQEgAP0AAAAiAiAD/U4gBP0jIAIgBf0jIAIgBv0j/VD9UCAA/QAAECICIAP9TiAE/SMgAiAF/SMgAiAG/SP9UP1Q/VAgAP0AACAiAiAD/U4gBP0jIAIgBf0jIAIgBv0j/VD9UCAA/QAAMCICIAP9TiAE/SMgAiAF/SMgAiAG/SP9UP1Q/VD9UP1TDQEgAEHAAGohAAwACwsCQANAIABBEGogAUsNASAA/QAAACICIAP9TiAE/SMgAiAF/SMgAiAG/SP9UP1Q/VMNASAAQRBqIQAMAAsLAkADQCAAIAFPDQEgAC0AACEHIAdBIEkgB0EiRiAHQdwARnJyDQEgAEEBaiEADAALCyAAC+ADAQd/IAIhBANAIAAgAU8EQEF/DwsgAC0AACEFIABBAWohACAFQQR2IQYgBkEPRgRAA0AgACABTwRAQX8PCyAALQAAIQcgAEEBaiEAIAYgB2ohBiAHQf8BRg0ACwsgBiABIABrSwRAQX8PCyAGIAMgAmtLBEBBfw8LIAZBEE0EQCACIAD9AAAA/QsAAAUgBkEgTQRAIAIgAP0AAAD9CwAAIAIgAP0AABD9CwAQBSACIAAgBvwKAAALCyAAIAZqIQAgAiAGaiECIAAgAUYEQCACDwsgASAAa0ECSQRAQX8PCyAALwAAIQggAEECaiEAIAhFIAggAiAEa0tyBEBBfw8LIAVBD3EhBiAGQQ9GBEADQCAAIAFPBEBBfw8LIAAtAAAhByAAQQFqIQAgBiAHaiEGIAdB/wFGDQALCyAGQQRqIQYgBiADIAJrSwRAQX8PCyACIAhrIQkgAiAGaiEKIAhBEE8EQANAIAIgCf0AAAD9CwAAIAJBEGohAiAJQRBqIQkgAiAKSQ0ACwUgCEEITwRAA0AgAiAJKQAANwAAIAJBCGohAiAJQQhqIQkgAiAKSQ0ACwUDQCACIAktAAA6AAAgAkEBaiECIAlBAWohCSACIApJDQALCwsgCiECDAALQX8L';

/** Room left after each region for the 16-byte copies that run past their end. */
export const SLACK = 64;
/** The kernel takes at most this much input or output a call, so the memory it keeps (it never shrinks) stays small. */
export const MAX_KERNEL_BYTES = 4 * 1024 * 1024;
const PAGE = 65536;

/** The little of WebAssembly used here (the compiler's libraries here have no WebAssembly types). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: Record<string, unknown> };
};

/** Buffer's own decoders (undocumented, on every Buffer since Node's first versions; lmdb-js and msgpackr use them). */
export interface SlicingBuffer extends Buffer {
  utf8Slice(start: number, end: number): string;
  latin1Slice(start: number, end: number): string;
}

export interface Kernel {
  readonly scan: (from: number, end: number) => number;
  readonly lz4: (ip: number, iend: number, op: number, oend: number) => number;
  /** The kernel's memory, at least `size` bytes of it; a new view after it grows (keep none across calls). */
  memory(size: number): SlicingBuffer;
}

/** Compiled on first use (importing hashstash starts nothing); null where WebAssembly or its SIMD is not available. */
let kernel: Kernel | null | undefined;

export function loadKernel(): Kernel | null {
  if (kernel !== undefined) return kernel;
  try {
    const instance = new WebAssembly.Instance(new WebAssembly.Module(Buffer.from(KERNEL_WASM, 'base64')));
    const exports = instance.exports as unknown as { memory: WasmMemory; scan: Kernel['scan']; lz4: Kernel['lz4'] };
    const wasm = exports.memory;
    let view = Buffer.from(wasm.buffer) as SlicingBuffer;
    kernel = {
      scan: exports.scan,
      lz4: exports.lz4,
      memory(size) {
        if (view.length < size) {
          wasm.grow(Math.ceil((size - view.length) / PAGE));
          view = Buffer.from(wasm.buffer) as SlicingBuffer;
        }
        return view;
      },
    };
  } catch {
    kernel = null;
  }
  return kernel;
}
