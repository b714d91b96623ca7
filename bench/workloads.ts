/**
 * The project's two standard workloads. Text and read order come from a seeded generator, so every run
 * compresses and reads the same way; the small records' `random` field is Math.random() as specified.
 */

export interface SmallRecord {
  name: string;
  goodness: string;
  random: number;
  tags: string[];
}

export interface LargeRecord {
  name: string;
  text: string;
}

export interface Workload<V> {
  readonly name: 'small' | 'large';
  /** `key-0` … `key-(n-1)`: written in this order, once. */
  readonly keys: readonly string[];
  readonly values: readonly V[];
  /** Indexes into `keys` in a fixed shuffled order: reads go this way. */
  readonly readOrder: readonly number[];
  /** JSON.stringify bytes summed over all values: the payload the stores carry. */
  readonly jsonBytes: number;
}

export const LARGE_TEXT_CHARS = 100_000;

/** mulberry32: small, fast, and good enough to pick words and shuffle. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffledIndexes(count: number, random: () => number): number[] {
  const order = Array.from({ length: count }, (_, i) => i);
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

function keysFor(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `key-${i}`);
}

function jsonBytesOf(values: readonly unknown[]): number {
  let total = 0;
  for (const value of values) total += Buffer.byteLength(JSON.stringify(value));
  return total;
}

export function smallRecord(): SmallRecord {
  return { name: 'cat', goodness: 'good', random: Math.random(), tags: ['a', 'b'] };
}

export function smallWorkload(count: number): Workload<SmallRecord> {
  const values = Array.from({ length: count }, smallRecord);
  return {
    name: 'small',
    keys: keysFor(count),
    values,
    readOrder: shuffledIndexes(count, seededRandom(1)),
    jsonBytes: jsonBytesOf(values),
  };
}

/** A vocabulary of made-up lowercase words, 2 to 10 letters long. */
function vocabulary(size: number, random: () => number): string[] {
  const words: string[] = [];
  for (let i = 0; i < size; i++) {
    const length = 2 + Math.floor(random() * 9);
    let word = '';
    for (let j = 0; j < length; j++) word += String.fromCharCode(97 + Math.floor(random() * 26));
    words.push(word);
  }
  return words;
}

/** Exactly `chars` characters of words drawn at random from the vocabulary, separated by spaces. */
export function randomWords(chars: number, words: readonly string[], random: () => number): string {
  const parts: string[] = [];
  let length = 0;
  while (length < chars) {
    const word = words[Math.floor(random() * words.length)];
    parts.push(word);
    length += word.length + 1;
  }
  return parts.join(' ').slice(0, chars);
}

/**
 * 2,000 words make text that lz4 shrinks 1.46× and deflate 2.58×, like the 100 KB text of the project's
 * performance anchors (1.47×, 2.6×), so the figures can be compared.
 */
const VOCABULARY_SIZE = 2000;

export function largeWorkload(count: number, chars = LARGE_TEXT_CHARS): Workload<LargeRecord> {
  const random = seededRandom(2);
  const words = vocabulary(VOCABULARY_SIZE, random);
  const values = Array.from({ length: count }, (_, i) => ({
    name: `text-${i}`,
    text: randomWords(chars, words, random),
  }));
  return {
    name: 'large',
    keys: keysFor(count),
    values,
    readOrder: shuffledIndexes(count, seededRandom(3)),
    jsonBytes: jsonBytesOf(values),
  };
}
