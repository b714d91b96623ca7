// A/B: this tree's stash vs the base commit's (built in /tmp/hs-base) vs lmdb-js, interleaved in one process.
// usage: HS_BASE=/path/to/an/older/build node --expose-gc scripts/ab-read-path.mjs small|large [rounds] [mode: sync|await]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open } from 'lmdb';
import { HashStash as New } from '../dist/src/index.js';
const { HashStash: Base } = await import(`${process.env.HS_BASE ?? '/tmp/hs-base'}/dist/src/index.js`);
import { smallWorkload, largeWorkload } from '../dist/bench/workloads.js';
const kind = process.argv[2] ?? 'small';
const rounds = Number(process.argv[3] ?? 15);
const mode = process.argv[4] ?? 'sync';
const w = kind === 'small' ? smallWorkload(2000) : largeWorkload(200);
const N = w.keys.length;
const root = mkdtempSync(join(tmpdir(), 'hs-ab-'));
const stashN = new New({ root: join(root, 'new'), engine: 'lmdb' });
const stashB = new Base({ root: join(root, 'base'), engine: 'lmdb' });
const pairs = w.keys.map((k, i) => [k, w.values[i]]);
await stashN.update(pairs);
await stashB.update(pairs);
const db = open({ path: join(root, 'raw', 'data.mdb') });
db.transactionSync(() => {
  for (let i = 0; i < N; i++) db.putSync(w.keys[i], w.values[i]);
});
const vN = stashN.sync,
  vB = stashB.sync;
const subjects =
  mode === 'sync'
    ? { new: (k) => vN.get(k), base: (k) => vB.get(k), lmdbjs: (k) => db.get(k) }
    : { new: (k) => stashN.get(k), base: (k) => stashB.get(k), lmdbjs: (k) => db.get(k) };
const keys = w.keys,
  order = w.readOrder;
// Written only: what the timed reads return goes somewhere, so they are not optimized away.
let _sink = 0;
async function time(fn, ms) {
  let ops = 0;
  const start = performance.now();
  let now;
  const cpu0 = process.cpuUsage();
  do {
    if (mode === 'sync') {
      for (let j = 0; j < N; j++) _sink += fn(keys[order[j]]).name.length;
    } else {
      for (let j = 0; j < N; j++) _sink += (await fn(keys[order[j]])).name.length;
    }
    ops += N;
    now = performance.now();
  } while (now - start < ms);
  const cpu = process.cpuUsage(cpu0);
  return process.env.CPU ? ops / ((cpu.user + cpu.system) / 1e6) : ops / ((now - start) / 1e3);
}
const names = Object.keys(subjects);
for (const n of names) await time(subjects[n], 300);
const rates = Object.fromEntries(names.map((n) => [n, []]));
const ratio = { 'new/lmdbjs': [], 'base/lmdbjs': [], 'new/base': [] };
for (let r = 0; r < rounds; r++) {
  const got = {};
  for (let i = 0; i < names.length; i++) {
    const n = names[(i + r) % names.length];
    global.gc?.();
    got[n] = await time(subjects[n], Number(process.env.SLICE ?? (kind === 'small' ? 40 : 80)));
    rates[n].push(got[n]);
  }
  ratio['new/lmdbjs'].push(got.new / got.lmdbjs);
  ratio['base/lmdbjs'].push(got.base / got.lmdbjs);
  ratio['new/base'].push(got.new / got.base);
}
const med = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
console.log(
  `${kind} ${mode}, ${rounds} rounds: ` + names.map((n) => `${n} ${(1e6 / med(rates[n])).toFixed(2)} µs`).join(', '),
);
for (const [k, v] of Object.entries(ratio))
  console.log(
    `  ${k.padEnd(12)} median ${med(v).toFixed(3)}  range ${Math.min(...v).toFixed(2)}-${Math.max(...v).toFixed(2)}`,
  );
await stashN.close();
await stashB.close();
db.close();
rmSync(root, { recursive: true, force: true });
