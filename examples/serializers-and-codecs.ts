// Serializers turn a value into bytes, codecs compress those bytes; both are stash options. `hashstash` (the default)
// and `devalue` bring back registered class instances, `v8` only their fields.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HashStash, codecNames, registerClass, serializerNames } from 'hashstash';

const root = mkdtempSync(join(tmpdir(), 'hashstash-serializers-'));
process.on('exit', () => rmSync(root, { recursive: true, force: true }));

class Point {
  constructor(
    readonly x: number,
    readonly y: number,
  ) {}
  norm(): number {
    return Math.hypot(this.x, this.y);
  }
}
registerClass(Point);

const value = {
  where: new Point(3, 4),
  when: new Date('2024-05-01T00:00:00Z'),
  big: 2n ** 70n,
  seen: new Map([[{ id: 1 }, true]]),
};
for (const serializer of serializerNames) {
  await using stash = new HashStash({ root, name: 'serializers', serializer });
  await stash.set('value', value);
  const back = (await stash.get('value')) as typeof value;
  const where =
    back.where instanceof Point ? `a Point, norm ${back.where.norm()}` : `a plain ${JSON.stringify(back.where)}`;
  console.log(
    `${serializer.padEnd(9)} where: ${where}; when: ${back.when.toISOString()}; big: ${back.big}n; seen: a ${back.seen.constructor.name}`,
  );
}

// What each codec stores for 100 KB of repetitive text, measured as the stored blob (header included).
const text = 'the quick brown fox jumps over the lazy dog. '.repeat(2300);
for (const compress of codecNames) {
  for (const b64 of [false, true]) {
    await using stash = new HashStash({ root, name: 'codecs', compress, b64 });
    await stash.set('text', text);
    let stored = 0;
    for await (const blob of stash.rawValues()) stored += blob.length;
    if ((await stash.get('text')) !== text) throw new Error(`${compress} did not round-trip`);
    console.log(`${(compress + (b64 ? '+b64' : '')).padEnd(10)} stores ${text.length} characters in ${stored} bytes`);
  }
}
