import t from 'tap';
import { Worker } from 'node:worker_threads';
import { functionSpec } from '../../src/parallel/function-ref.js';
import { WorkerPool, type TaskOutcome } from '../../src/parallel/pool.js';
import { getSerializer } from '../../src/serializers/index.js';

const serializer = getSerializer('hashstash');

t.test('a worker that reported an uncaught error takes no new task while it exits', async (t) => {
  // Returns at once; for 'arm', throws from a timer afterwards, while the worker sits idle.
  const lateThrow = (x: string) => {
    if (x === 'arm')
      setTimeout(() => {
        throw new Error('late failure');
      }, 20);
    return x;
  };
  const pool = new WorkerPool({
    size: 1,
    setup: { fn: functionSpec(lateThrow), serializer: 'hashstash', trustCode: false },
    resourceLimits: undefined,
  });
  t.teardown(() => pool.terminate());
  let next: Promise<TaskOutcome> | undefined;
  // A task that arrives right after the pool heard of the error, before the worker's 'exit': the window in question.
  type Emit = (this: Worker, event: string | symbol, ...args: unknown[]) => boolean;
  const prototype = Worker.prototype as unknown as { emit: Emit };
  const ownEmit = Object.getOwnPropertyDescriptor(prototype, 'emit');
  const emit = prototype.emit;
  prototype.emit = function (event, ...args) {
    const listened = emit.call(this, event, ...args);
    if (event === 'error' && !next) next = pool.run(serializer.serialize(['after']));
    return listened;
  };
  t.teardown(() => {
    if (ownEmit) Object.defineProperty(prototype, 'emit', ownEmit);
    else delete (prototype as { emit?: Emit }).emit;
  });

  const first = await pool.run(serializer.serialize(['arm']));
  t.equal(first.ok && serializer.deserialize(first.value), 'arm');
  for (let waited = 0; !next && waited < 10_000; waited += 10) await new Promise((resolve) => setTimeout(resolve, 10));
  t.ok(next, 'the worker reported its error');
  const outcome = await next!;
  t.equal(
    outcome.ok && serializer.deserialize(outcome.value),
    'after',
    'the task ran on a new worker, not the dying one',
  );
});
