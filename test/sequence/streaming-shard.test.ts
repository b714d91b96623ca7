/**
 * The streaming shard buffer (LitData's chunk buffer): a shard's framed items fed in pieces of 1, 7 and 4,096 bytes
 * (headers split across pieces) make exactly the items whose last byte arrived available, a pending read resolves
 * exactly then, a source error rejects every waiter, and finishing resolves reads past the end with undefined. And
 * the stored shard format: one item read through the offset table, damage and truncation caught.
 */
import t from 'tap';
import { DecodeError } from '../../src/index.js';
import { encodeShard, ShardView } from '../../src/sequence/shard-format.js';
import { frames, StreamingShard } from '../../src/sequence/streaming-shard.js';

/** Items of varied sizes, an empty one among them, some longer than a piece. */
const items = Array.from({ length: 60 }, (_, i) =>
  Uint8Array.from({ length: i === 7 ? 0 : ((i * 37) % 300) + (i % 9 === 0 ? 5000 : 0) }, (_, j) => (i + j) & 0xff),
);
const stream = frames(items);
/** Where each item's last byte is in the framed stream. */
const ends: number[] = [];
{
  let at = 0;
  for (const item of items) {
    at += 4 + item.length;
    ends.push(at);
  }
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

for (const size of [1, 7, 4096]) {
  t.test(`pieces of ${size} bytes`, async (t) => {
    const shard = new StreamingShard();
    const resolved = new Set<number>();
    const reads = items.map((_, i) =>
      shard.item(i).then((bytes) => {
        resolved.add(i);
        return bytes;
      }),
    );
    let received = 0;
    let mismatches = 0;
    for (let at = 0; at < stream.length; at += size) {
      const piece = stream.subarray(at, Math.min(stream.length, at + size));
      const before = shard.available;
      const completed = shard.append(piece);
      received += piece.length;
      const expected = ends.filter((end) => end <= received).length;
      if (shard.available !== expected) mismatches++;
      if (completed.join() !== Array.from({ length: expected - before }, (_, k) => before + k).join()) mismatches++;
      await flush();
      if (resolved.size !== expected) mismatches++;
    }
    t.equal(
      mismatches,
      0,
      'after every piece: available, the indices returned and the reads resolved are exactly the items complete',
    );
    const got = await Promise.all(reads);
    t.ok(
      got.every((bytes, i) => Buffer.compare(bytes!, items[i]) === 0),
      'every item read back byte for byte',
    );
    shard.finish();
    t.equal(await shard.item(items.length), undefined, 'past the end after finish: undefined');
  });
}

t.test('a source error rejects every waiter, now and later', async (t) => {
  const shard = new StreamingShard();
  shard.append(stream.subarray(0, ends[2] + 3));
  const waiting = [shard.item(3), shard.item(10), shard.item(59)];
  const boom = new Error('download failed');
  shard.fail(boom);
  for (const read of waiting) await t.rejects(read, boom);
  await t.rejects(shard.item(40), boom, 'a read after the failure');
  t.equal(Buffer.compare((await shard.item(1))!, items[1]), 0, 'items complete before the failure stay readable');
});

t.test('finishing inside an item is damage', async (t) => {
  const shard = new StreamingShard();
  shard.append(stream.subarray(0, ends[0] + 2));
  const pending = shard.item(1);
  shard.finish();
  await t.rejects(pending, DecodeError);
});

t.test('an abort signal stops one wait', async (t) => {
  const shard = new StreamingShard();
  const controller = new AbortController();
  const read = shard.item(0, controller.signal);
  controller.abort(new Error('no longer wanted'));
  await t.rejects(read, { message: 'no longer wanted' });
  shard.push(items[0]);
  t.equal(Buffer.compare((await shard.item(0))!, items[0]), 0);
});

t.test('the stored shard format', async (t) => {
  const blob = encodeShard(items);
  const view = new ShardView(blob, 'test shard');
  t.equal(view.count, items.length);
  t.ok(
    items.every((item, i) => Buffer.compare(view.item(i), item) === 0),
    'each item through the offset table',
  );
  t.equal(new ShardView(encodeShard(items), 'again').crc, view.crc, 'equal items, equal crc');
  t.not(new ShardView(encodeShard(items.slice(1)), 'other').crc, view.crc, 'other items, another crc');
  const damaged = Uint8Array.from(blob);
  damaged[damaged.length - 1] ^= 1;
  t.throws(() => new ShardView(damaged, 'damaged'), DecodeError, 'a flipped bit');
  t.throws(() => new ShardView(blob.subarray(0, blob.length - 1), 'short'), DecodeError, 'truncated');
  t.throws(() => new ShardView(Uint8Array.from([1, 2, 3]), 'tiny'), DecodeError, 'not a shard');
  t.equal(new ShardView(encodeShard([]), 'empty').count, 0);
});
