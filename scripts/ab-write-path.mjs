// A/B of the write paths the change feed hooks into: this tree's stash vs the base commit's, interleaved in one process.
// usage: HS_BASE=/path/to/a/base/build node --expose-gc scripts/ab-write-path.mjs <engine> [rounds] [ms]
//   engine: lmdb | sqlite | pairtree | memory | redis (REDIS_URL) | mongo (MONGODB_URL)
// Cases: `set` (sequential awaited), `set-concurrent` (1,000 started together), `set-sync` (local engines),
// `update` (1,000 entries per call). Prints the median ops/s of each and new/base.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HashStash as New } from '../dist/src/index.js';
const { HashStash: Base } = await import(`${process.env.HS_BASE ?? '/tmp/i16-watch-base'}/dist/src/index.js`);
const engine = process.argv[2] ?? 'lmdb';
const rounds = Number(process.argv[3] ?? 7);
const ms = Number(process.argv[4] ?? 400);
const url = engine === 'redis' ? process.env.REDIS_URL : engine === 'mongo' ? process.env.MONGODB_URL : undefined;
const root = mkdtempSync(join(tmpdir(), 'hs-ab-write-'));
const open = (Stash, name) => new Stash({ root: join(root, name), name, engine, ...(url ? { url } : {}) });
const stashes = { new: open(New, 'new'), base: open(Base, 'base') };
const value = { id: 1, name: 'record', tags: ['a', 'b'], score: 0.5 };
let counter = 0;
// CPU=1: ops per CPU second of this process (lmdb's write thread included), steadier than wall time on a busy machine.
const cpuMode = !!process.env.CPU;
const timed = (fn) => async (s) => {
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  const n = await fn(s);
  const seconds = cpuMode
    ? (() => {
        const c = process.cpuUsage(cpu0);
        return (c.user + c.system) / 1e6;
      })()
    : (performance.now() - start) / 1e3;
  return n / seconds;
};
const cases = {
  set: timed(async (s) => {
    const start = performance.now();
    let n = 0;
    while (performance.now() - start < ms) {
      await s.set(`k${counter++ % 20000}`, value);
      n++;
    }
    return n;
  }),
  'set-concurrent': timed(async (s) => {
    const start = performance.now();
    let n = 0;
    while (performance.now() - start < ms) {
      const all = [];
      for (let i = 0; i < 1000; i++) all.push(s.set(`c${counter++ % 20000}`, value));
      await Promise.all(all);
      n += 1000;
    }
    return n;
  }),
  update: timed(async (s) => {
    const start = performance.now();
    let n = 0;
    while (performance.now() - start < ms) {
      const pairs = [];
      for (let i = 0; i < 1000; i++) pairs.push([`u${counter++ % 20000}`, value]);
      await s.update(pairs);
      n += 1000;
    }
    return n;
  }),
};
if (stashes.new.engine.capabilities.sync) {
  cases['set-sync'] = timed(async (s) => {
    const v = s.sync;
    const start = performance.now();
    let n = 0;
    while (performance.now() - start < ms) {
      v.set(`s${counter++ % 20000}`, value);
      n++;
    }
    return n;
  });
}
// CASES=set,update: only those (FerretDB's SQLite handler fails 1,000 concurrent upserts with SQLITE_BUSY).
if (process.env.CASES)
  for (const c of Object.keys(cases)) if (!process.env.CASES.split(',').includes(c)) delete cases[c];
const rates = {};
for (const c of Object.keys(cases))
  for (const side of Object.keys(stashes)) {
    rates[`${c}/${side}`] = [];
    await cases[c](stashes[side]);
  }
for (let round = 0; round < rounds; round++) {
  for (const c of Object.keys(cases)) {
    const sides = round % 2 ? ['base', 'new'] : ['new', 'base'];
    for (const side of sides) {
      globalThis.gc?.();
      rates[`${c}/${side}`].push(await cases[c](stashes[side]));
    }
  }
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};
for (const c of Object.keys(cases)) {
  const n = median(rates[`${c}/new`]),
    b = median(rates[`${c}/base`]);
  const ratios = rates[`${c}/new`].map((x, i) => x / rates[`${c}/base`][i]);
  console.log(
    `${engine} ${c}: new ${n.toFixed(0)} ops/s, base ${b.toFixed(0)} ops/s, new/base ${(n / b).toFixed(3)} (per-round median ${median(ratios).toFixed(3)}, range ${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)})`,
  );
}
for (const s of Object.values(stashes)) {
  await s.clear().catch(() => {});
  await s.close();
}
rmSync(root, { recursive: true, force: true });
