/**
 * The names a shipped function may use without defining them: the standard ECMAScript globals and the globals every
 * Node.js (>= 20) thread has, worker threads included. A fixed list rather than a look at `globalThis`, which would
 * also take in whatever this program (or its test runner) put there, and workers would not have. CommonJS names
 * (`require`, `module`, `__dirname`) are not here: a shipped function runs in the worker's global scope, not a module.
 */
const ECMASCRIPT = [
  'globalThis', 'undefined', 'NaN', 'Infinity',
  'eval', 'isFinite', 'isNaN', 'parseFloat', 'parseInt', 'decodeURI', 'decodeURIComponent', 'encodeURI',
  'encodeURIComponent', 'escape', 'unescape',
  'Object', 'Function', 'Boolean', 'Symbol', 'Number', 'BigInt', 'Math', 'Date', 'String', 'RegExp', 'JSON', 'Reflect',
  'Proxy', 'Promise', 'Intl', 'Atomics', 'WebAssembly', 'Iterator',
  'Error', 'AggregateError', 'EvalError', 'RangeError', 'ReferenceError', 'SyntaxError', 'TypeError', 'URIError',
  'Array', 'ArrayBuffer', 'SharedArrayBuffer', 'DataView', 'Map', 'Set', 'WeakMap', 'WeakSet', 'WeakRef',
  'FinalizationRegistry', 'Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array',
  'Uint32Array', 'Float16Array', 'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array',
];

const NODE = [
  'global', 'process', 'Buffer', 'console', 'queueMicrotask', 'structuredClone', 'atob', 'btoa',
  'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'setImmediate', 'clearImmediate',
  'AbortController', 'AbortSignal', 'Event', 'EventTarget', 'CustomEvent', 'DOMException',
  'URL', 'URLSearchParams', 'TextEncoder', 'TextDecoder', 'TextEncoderStream', 'TextDecoderStream',
  'Blob', 'File', 'FormData', 'Headers', 'Request', 'Response', 'fetch', 'WebSocket', 'navigator', 'Navigator',
  'BroadcastChannel', 'MessageChannel', 'MessagePort', 'MessageEvent',
  'crypto', 'Crypto', 'CryptoKey', 'SubtleCrypto',
  'performance', 'Performance', 'PerformanceEntry', 'PerformanceMark', 'PerformanceMeasure', 'PerformanceObserver',
  'PerformanceObserverEntryList', 'PerformanceResourceTiming',
  'ReadableStream', 'ReadableStreamDefaultReader', 'ReadableStreamBYOBReader', 'ReadableStreamBYOBRequest',
  'ReadableByteStreamController', 'ReadableStreamDefaultController', 'TransformStream',
  'TransformStreamDefaultController', 'WritableStream', 'WritableStreamDefaultWriter',
  'WritableStreamDefaultController', 'ByteLengthQueuingStrategy', 'CountQueuingStrategy', 'CompressionStream',
  'DecompressionStream',
];

export const STANDARD_GLOBALS: ReadonlySet<string> = new Set([...ECMASCRIPT, ...NODE]);
