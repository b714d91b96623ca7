// An ES module that uses the public API the way the README shows, compiled (not run) against the packed package.
import {
  HashStash,
  stashed,
  stashOf,
  registerClass,
  KeyNotFoundError,
  HashStashError,
  DriverMissingError,
  type ArqueroTable,
  type HashStashOptions,
  type MapProgress,
  type VersionRecord,
} from 'hashstash';

const options: HashStashOptions = {
  root: 'consumer_stash',
  engine: 'lmdb',
  compress: 'lz4',
  url: process.env.REDIS_URL,
};
await using stash = new HashStash(options);
await stash.set({ animal: 'dog', size: 'big' }, { goodness: 'good', born: new Date() });
const dog: unknown = await stash.get({ size: 'big', animal: 'dog' });
const [first] = await stash.getMany(['a', 'b']);
for await (const [key, value] of stash) console.log(key, value);
const sum: number | undefined = stash.sync.get('n') as number | undefined;

async function slowSquare(n: number): Promise<number> {
  return n * n;
}
const square = stash.stashed(slowSquare);
const squared: number = await square(12);
const stored: unknown = await square.stash.getFunc(12);

class Model {
  constructor(readonly id: string) {}
  @stashed({ root: 'functions_stash' }) async fit(xs: number[]): Promise<number> {
    return xs.length;
  }
  @stash.stashed({ keyThis: (self: Model) => self.id }) async score(x: number): Promise<number> {
    return x;
  }
  @stash.sync.stashed() words(text: string): string[] {
    return text.split(' ');
  }
}
const fitted: number = await new Model('m').fit([1, 2]);
const words: string[] = new Model('m').words('a b');
stashOf(Model.prototype.fit);

class Point {
  constructor(
    readonly x: number,
    readonly y: number,
  ) {}
}
registerClass(Point);

const controller = new AbortController();
const results = stash.map((n: number) => n + 1, [1, 2, 3], { numProc: 2, signal: controller.signal, desc: undefined });
results.on('progress', (progress: MapProgress) => progress.cached);
const mapped: number[] = await results.all();

await stash.withTmp(async (tmp) => {
  await tmp.set('k', 1);
});
{
  await using tmp = stash.tmp();
  await tmp.set('k', 2);
}

const log = new HashStash({ name: 'log', appendMode: true });
const versions: VersionRecord<unknown>[] = await log.getAll('k', { withMetadata: true });
const version: number | undefined = versions[0]?.version;

const table = await stash.table();
const csv: string = table.toCSV();
const aq: ArqueroTable = await table.toArquero();

try {
  await stash.pop('absent');
} catch (error) {
  if (error instanceof KeyNotFoundError && error instanceof HashStashError) console.log(error.code);
  if (error instanceof DriverMissingError)
    console.log(error.install, error.driver, error.neededBy, error.found ?? 'none');
}
console.log(dog, first, sum, squared, stored, fitted, words, mapped, version, csv, aq.numRows());

// An engine of one's own, registered by name and tested with the published suite (compiled, not run).
import { registerEngine, type Engine, type EngineContext, type EngineFactory } from 'hashstash';
import { engineConformance, type TestFunction } from 'hashstash/test-suite';
const byName: EngineFactory = (context: EngineContext): Engine =>
  new HashStash({ engine: 'memory', root: context.path }).engine;
registerEngine('consumer-engine', byName);
const onTheirEngine = new HashStash({ engine: 'consumer-engine' });
const runnerTest: TestFunction = (name, body) => body();
engineConformance({ test: runnerTest, name: 'consumer', factory: byName });
console.log(String(onTheirEngine));
