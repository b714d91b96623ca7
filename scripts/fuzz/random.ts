/**
 * A small seeded generator (sfc32, seeded through a 32-bit mix), so that input `index` of the run with `seed` is the
 * same on every machine and can be replayed alone: each input has its own generator, seeded from (seed, index),
 * whatever batch it ran in.
 */
export class Random {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  constructor(seed: number, index: number) {
    let h = mix32((seed >>> 0) ^ 0x9e3779b9);
    h = mix32(h ^ (index >>> 0));
    h = mix32(h ^ Math.floor(index / 2 ** 32));
    this.#a = h;
    this.#b = h = mix32(h);
    this.#c = h = mix32(h);
    this.#d = mix32(h) | 1;
    for (let i = 0; i < 12; i++) this.uint32();
  }

  uint32(): number {
    const t = (((this.#a + this.#b) | 0) + this.#d) | 0;
    this.#d = (this.#d + 1) | 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) | 0;
    this.#c = (this.#c << 21) | (this.#c >>> 11);
    this.#c = (this.#c + t) | 0;
    return t >>> 0;
  }

  /** An integer in [0, n). */
  below(n: number): number {
    return Math.floor((this.uint32() / 2 ** 32) * n);
  }

  /** An integer in [min, max]. */
  between(min: number, max: number): number {
    return min + this.below(max - min + 1);
  }

  chance(probability: number): boolean {
    return this.uint32() / 2 ** 32 < probability;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)];
  }

  /** One of the choices, each as likely as its weight. */
  weighted<T>(choices: readonly (readonly [T, number])[]): T {
    let total = 0;
    for (const [, weight] of choices) total += weight;
    let at = this.below(total);
    for (const [choice, weight] of choices) {
      if (at < weight) return choice;
      at -= weight;
    }
    return choices[choices.length - 1][0];
  }

  /** A length up to `max`, small ones far likelier: evenly spread over the powers of two. */
  length(max: number): number {
    return Math.min(max, this.below(2 ** this.below(Math.ceil(Math.log2(max + 1)) + 1)));
  }

  bytes(length: number): Buffer {
    const bytes = Buffer.allocUnsafe(length);
    for (let i = 0; i < length; i++) bytes[i] = this.uint32() & 0xff;
    return bytes;
  }
}

function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d);
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b);
  return (x ^ (x >>> 16)) >>> 0;
}
