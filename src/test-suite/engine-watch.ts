import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Engine, EngineContext, RawChange, RawEntry } from '../engines/engine.js';
import type { EngineSuiteOptions } from './engine-options.js';

/** What {@link engineWatchConformance} runs on. */
export interface EngineWatchConformanceOptions extends EngineSuiteOptions {
  /**
   * How many changes the falling-behind test makes while its watcher does not read: more than the engine keeps for a
   * watcher (12,000 unless told; hashstash's engines keep 10,000).
   */
  readonly fallBehind?: number | undefined;
  /** How long a test waits for a change before it fails, in ms (30,000 unless told: generous, for busy machines). */
  readonly timeoutMs?: number | undefined;
}

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const text = (value: Uint8Array): string => new TextDecoder().decode(value);
type Feed = AsyncIterable<RawChange> & { readonly ready?: Promise<void> };

/** Reads changes until `done` says so; fails after `timeoutMs` without one. */
async function readUntil(
  iterator: AsyncIterator<RawChange>,
  done: (change: RawChange) => boolean,
  timeoutMs: number,
): Promise<RawChange[]> {
  const seen: RawChange[] = [];
  for (;;) {
    let timer: NodeJS.Timeout | undefined;
    const next = await Promise.race([
      iterator.next(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(new Error(`no change within ${timeoutMs} ms; seen so far: ${JSON.stringify(seen.map(describe))}`)),
          timeoutMs,
        );
      }),
    ]).finally(() => clearTimeout(timer));
    if (next.done) throw new Error(`the feed ended; seen: ${JSON.stringify(seen.map(describe))}`);
    seen.push(next.value);
    if (done(next.value)) return seen;
  }
}

const describe = (change: RawChange): string =>
  change.type === 'set' || change.type === 'delete'
    ? `${change.type} ${text(change.key)}`
    : change.type === 'missed'
      ? `missed ${change.count ?? '?'}`
      : change.type;

/** Resolves when `promise` does; fails after `ms`. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} took over ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Registers the conformance tests of an engine's change feed, {@link Engine.watch}: a watcher sees the sets, deletes
 * and clears made through another engine over the same location, in order; its loop ends when its signal aborts and
 * when its engine closes; and a watcher that falls behind sees every change or a `missed` change that accounts for
 * the rest (never a silent gap). An engine without `watch` passes them vacuously. Changes by other processes are the
 * same to an engine that shares its storage across them; hashstash's own tests check them with real processes.
 *
 * @param options - The runner's test function, the engine factory, and the fields of its locations.
 */
export function engineWatchConformance(options: EngineWatchConformanceOptions): void {
  const { factory, fallBehind = 12_000, timeoutMs = 30_000 } = options;
  const prefix = options.name ?? 'engine';
  const run = (
    name: string,
    body: (open: (at?: EngineContext) => Engine, location: () => EngineContext) => Promise<void>,
  ) =>
    options.test(`${prefix}: watch: ${name}`, async () => {
      const folder = mkdtempSync(join(tmpdir(), 'hashstash-watch-conformance-'));
      const id = randomBytes(6).toString('hex');
      const opened: [EngineContext, Engine][] = [];
      let locations = 0;
      const location = (): EngineContext => {
        const n = locations++;
        return {
          readonly: false,
          url: undefined,
          now: Date.now,
          ...options.context,
          path: join(folder, `stash-${n}`),
          namespace: `hashstash-watch-conformance/${id}/stash-${n}`,
        };
      };
      const open = (at: EngineContext = location()) => {
        const engine = factory(at);
        opened.push([at, engine]);
        return engine;
      };
      try {
        await body(open, location);
      } finally {
        for (const [, engine] of opened) await engine.close().catch(() => {});
        for (const at of new Map(opened.map(([at]) => [at.namespace, at])).values()) {
          const cleaner = factory(at);
          await cleaner.clear().catch(() => {});
          await cleaner.close().catch(() => {});
        }
        rmSync(folder, { recursive: true, force: true });
      }
    });

  /** A watcher on a fresh engine over `at`, ready (every later change seen). */
  const watching = async (engine: Engine, signal?: AbortSignal): Promise<AsyncIterator<RawChange> | undefined> => {
    if (!engine.watch) return undefined;
    const feed: Feed = engine.watch({ signal });
    await within(feed.ready ?? Promise.resolve(), timeoutMs, 'watch().ready');
    return feed[Symbol.asyncIterator]();
  };

  run('sees the sets, deletes and clears made through another engine, in order', async (open, location) => {
    const at = location();
    const watcher = open(at);
    const writer = open(at);
    const controller = new AbortController();
    const changes = await watching(watcher, controller.signal);
    if (!changes) return;
    try {
      await writer.set(bytes('a'), bytes('1'));
      await writer.set(bytes('b'), bytes('2'));
      await writer.set(bytes('a'), bytes('one'));
      assert.equal(await writer.delete(bytes('b')), true);
      assert.equal(await writer.delete(bytes('absent')), false);
      await writer.setMany([[bytes('c'), bytes('3')]]);
      await writer.clear();
      const seen = (await readUntil(changes, (change) => change.type === 'clear', timeoutMs)).map(describe);
      assert.deepEqual(
        seen,
        ['set a', 'set b', 'set a', 'delete b', 'set c', 'clear'],
        'every change, in order, and nothing for a delete that removed nothing',
      );
      await writer.set(bytes('after'), bytes('x'));
      assert.deepEqual(
        (await readUntil(changes, () => true, timeoutMs)).map(describe),
        ['set after'],
        'a cleared stash is watched still',
      );
    } finally {
      controller.abort();
    }
  });

  run('two watchers each see every change', async (open, location) => {
    const at = location();
    const first = await watching(open(at));
    const second = await watching(open(at));
    if (!first || !second) return;
    const writer = open(at);
    await writer.set(bytes('k'), bytes('v'));
    for (const changes of [first, second])
      assert.deepEqual((await readUntil(changes, () => true, timeoutMs)).map(describe), ['set k']);
    await first.return?.();
    await writer.delete(bytes('k'));
    assert.deepEqual(
      (await readUntil(second, () => true, timeoutMs)).map(describe),
      ['delete k'],
      'one watcher leaving does not stop the other',
    );
  });

  run('the loop ends when its signal aborts', async (open) => {
    const engine = open();
    const controller = new AbortController();
    const changes = await watching(engine, controller.signal);
    if (!changes) return;
    const next = changes.next();
    controller.abort();
    const result = await within(next, timeoutMs, 'ending on abort');
    assert.equal(result.done, true, 'the pending next() finishes the loop');
    assert.equal((await changes.next()).done, true, 'and it stays finished');
    const already = new AbortController();
    already.abort();
    const none = engine.watch!({ signal: already.signal })[Symbol.asyncIterator]();
    assert.equal(
      (await within(none.next(), timeoutMs, 'a watch with an aborted signal')).done,
      true,
      'a signal aborted already gives no changes',
    );
  });

  run('the loop ends when the engine closes', async (open) => {
    const engine = open();
    const changes = await watching(engine);
    if (!changes) return;
    const next = changes.next();
    await engine.close();
    const result = await within(next, timeoutMs, 'ending on close');
    assert.equal(result.done, true, 'close() finishes the loop');
  });

  run(
    `a watcher that falls behind (${fallBehind} changes unread) sees every change or a missed one that accounts for them`,
    async (open, location) => {
      const at = location();
      const watcher = open(at);
      const writer = open(at);
      const controller = new AbortController();
      const changes = await watching(watcher, controller.signal);
      if (!changes) return;
      try {
        const entries: RawEntry[] = Array.from({ length: fallBehind }, (_, i) => [bytes(`k${i}`), bytes('v')]);
        for (let i = 0; i < entries.length; i += 1000) await writer.setMany(entries.slice(i, i + 1000));
        await writer.set(bytes('last'), bytes('v'));
        const seen = await readUntil(
          changes,
          (change) => change.type === 'set' && text(change.key) === 'last',
          Math.max(timeoutMs, 60_000),
        );
        let sets = 0;
        let missed = 0;
        let uncounted = false;
        for (const change of seen) {
          if (change.type === 'set') sets++;
          else if (change.type === 'missed') {
            if (change.count === undefined) uncounted = true;
            else missed += change.count;
          }
        }
        assert.ok(
          uncounted || sets + missed >= fallBehind + 1,
          `${sets} sets seen and ${missed} missed account for the ${fallBehind + 1} made (no silent gap)`,
        );
        assert.ok(
          seen.every((change) => change.type === 'set' || change.type === 'missed'),
          'only sets and missed',
        );
      } finally {
        controller.abort();
      }
    },
  );
}
