// Memoized methods with standard decorators: `@stash.stashed()` on an async method, `@stash.sync.stashed()` on a
// synchronous one, and `keyThis` to make part of the instance part of the key. Each result is computed once and read
// from the stash afterwards, by any instance and in any later run.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HashStash, stashOf } from 'hashstash';

const root = mkdtempSync(join(tmpdir(), 'hashstash-decorators-'));
process.on('exit', () => rmSync(root, { recursive: true, force: true }));

const stash = new HashStash({ root });
let bodiesRun = 0; // how often a decorated method's body really ran

class Forecast {
  constructor(
    readonly city: string,
    readonly requestedBy: string,
  ) {}

  // Keyed by the city and the day: who asked does not change the weather, so it is left out of the key.
  @stash.stashed({ keyThis: (self: Forecast) => self.city })
  async temperature(day: number): Promise<number> {
    bodiesRun++;
    await new Promise((resolve) => setTimeout(resolve, 200)); // a slow service
    return 12 + ((this.city.length * 7 + day * 3) % 10);
  }

  // Synchronous, and keyed by its arguments only.
  @stash.sync.stashed()
  describe(celsius: number): string {
    bodiesRun++;
    return celsius >= 18 ? 'warm' : 'cool';
  }
}

const mine = new Forecast('Paris', 'me');
const yours = new Forecast('Paris', 'you');
console.log(`temperature(1) in Paris for me: ${await mine.temperature(1)} (bodies run: ${bodiesRun})`);
console.log(`temperature(1) in Paris for you: ${await yours.temperature(1)} (bodies run: ${bodiesRun})`);
console.log(`temperature(1) in Oslo: ${await new Forecast('Oslo', 'me').temperature(1)} (bodies run: ${bodiesRun})`);

const [first, second] = await Promise.all([mine.temperature(2), yours.temperature(2)]);
console.log(`two concurrent calls for day 2: ${first} and ${second} (bodies run: ${bodiesRun})`);

console.log(`describe(19): ${mine.describe(19)}, again: ${yours.describe(19)} (bodies run: ${bodiesRun})`);

// Each decorated method has a sub-stash of its own, keyed as [keyThis(this), ...args].
// eslint-disable-next-line @typescript-eslint/unbound-method -- stashOf takes the decorated method itself; it is not called
const stored = stashOf(Forecast.prototype.temperature);
console.log(
  `temperature's stash holds ${await stored.size()} results; Oslo day 1 is ${await stored.getFunc(new Forecast('Oslo', 'anyone'), 1)}`,
);
await stash.close();
