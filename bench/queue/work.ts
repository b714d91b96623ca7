// The functions the queue suite maps: a module, as a map on a queue ships functions.

/** A fixed amount of integer hashing (about 20 ms at the iterations the suite calibrates). */
export function spin(seed: number, iterations: number): number {
  let h = seed | 0;
  for (let i = 0; i < iterations; i++) h = Math.imul(h ^ i, 2654435761) >>> 0;
  return h;
}

/** Next to nothing: what a job costs end to end. */
export function trivial(item: number): number {
  return item + 1;
}
