import t from 'tap';
import { parse } from 'acorn';
import { HashStash, ClosureError, ConfigError } from '../../src/index.js';
import { outsideVariables, shippableSource } from '../../src/parallel/closure-check.js';
import { STANDARD_GLOBALS } from '../../src/parallel/globals.js';

/** The outside variables of a function written as source text. */
const outside = (source: string) => outsideVariables(parse(`(${source})`, { ecmaVersion: 'latest' }));

t.test('declarations of every kind are inside the function', async (t) => {
  t.strictSame(
    outside('function f(a, { b, c: [d, ...e] = [] }, ...rest) { var v = a + b + d + e + rest; return f(v) }'),
    [],
  );
  t.strictSame(
    outside('(x) => { let a = 1; const { b } = x; class C { m() { return C } } return a + b + new C() }'),
    [],
  );
  t.strictSame(outside('function () { return hoisted() + later; function hoisted() { return 1 } var later = 2 }'), []);
  t.strictSame(outside('function () { try { return 1 } catch ({ message }) { return message } }'), []);
  t.strictSame(
    outside(
      'function () { for (const [k, v] of Object.entries({})) console.log(k, v); for (let i = 0; i < 2; i++) {} }',
    ),
    [],
  );
  t.strictSame(outside('function () { return arguments.length }'), []);
  t.strictSame(outside('(x) => { switch (x) { case 1: let y = x; return y } }'), []);
  t.strictSame(
    outside('(x) => { outer: for (;;) { break outer } return x.y.z + ({ key: 1 }).key }'),
    [],
    'labels and property names are not variables',
  );
  t.strictSame(outside('(x) => class { static s = 1; #p = x; [Symbol.iterator]() {} }'), []);
  t.strictSame(outside('(x = 1, y = x) => (function inner(n) { return n ? inner(n - 1) : y })(x)'), []);
});

t.test('uses of anything else are outside, named in order of first use', async (t) => {
  t.strictSame(outside('(x) => x * factor'), ['factor']);
  t.strictSame(outside('(x) => helper(x) + helper(other)'), ['helper', 'other']);
  t.strictSame(outside('(x) => { { let inner = 1 } return inner }'), ['inner'], 'a block variable does not leak');
  t.strictSame(outside('(x) => { try {} catch (e) {} return e }'), ['e'], 'nor does a catch parameter');
  t.strictSame(
    outside('(x) => { [a, b] = x; ({ c } = x); count++ }'),
    ['a', 'b', 'c', 'count'],
    'assignments are uses',
  );
  t.strictSame(outside('(x) => { for (item of x) {} }'), ['item']);
  t.strictSame(outside('(x = fallback) => x'), ['fallback'], 'defaults are uses');
  t.strictSame(
    outside('(x) => `${tpl}` + require("fs") + __dirname'),
    ['tpl', 'require', '__dirname'],
    'no CommonJS names in a worker',
  );
  t.strictSame(outside('() => { const { [key]: v } = {}; return v }'), ['key']);
  t.strictSame(outside('() => class extends Base {}'), ['Base']);
  t.strictSame(outside('() => () => arguments'), ['arguments'], 'arrows have no arguments of their own');
});

t.test("Node's standard globals are allowed, and every name listed exists in this Node", async (t) => {
  t.strictSame(
    outside(
      '(x) => Math.max(JSON.parse(x), Number.MAX_SAFE_INTEGER) + console.log(globalThis, process.pid, Buffer, new URL(x), structuredClone(x), setTimeout, new Map(), undefined, NaN)',
    ),
    [],
  );
  const absent = [...STANDARD_GLOBALS].filter((name) => !(name in globalThis));
  const newerThan20 = ['Iterator', 'Float16Array', 'WebSocket', 'navigator', 'Navigator'];
  t.strictSame(
    absent.filter((name) => !newerThan20.includes(name)),
    [],
    'nothing invented',
  );
});

t.test('stash.map refuses a closure before anything is sent, with an error naming the variables', async (t) => {
  const stash = new HashStash({ root: t.testdir(), engine: 'memory' });
  const factor = 3;
  const scaled = (x: number) => x * factor;
  const error = (() => {
    try {
      stash.map(scaled, [1]);
    } catch (e) {
      return e;
    }
  })() as ClosureError;
  t.ok(error instanceof ClosureError);
  t.ok(error instanceof ConfigError);
  t.strictSame(error.variables, ['factor']);
  t.match(error.message, /scaled.*refers to a variable from outside itself: factor/);
  t.match(error.message, /'args'.*\{ module, export \}/, 'and says what to do instead');
});

t.test('methods ship; classes, bound and native functions do not', async (t) => {
  const holder = {
    twice(x: number) {
      return 2 * x;
    },
  };
  // A method's source is `twice(x) {…}`: it ships wrapped in an object literal and picked out by name.
  t.equal(shippableSource(holder.twice).expression, `({${holder.twice.toString()}})["twice"]`);
  const stash = new HashStash({ root: t.testdir(), engine: 'memory' });
  t.strictSame(await stash.map(holder.twice, [4], { numProc: 1 }).all(), [8]);
  t.throws(() => shippableSource(class A {}), { name: 'ConfigError', message: /is a class/ });
  t.throws(() => shippableSource(((x: number) => x).bind(null)), { name: 'ConfigError', message: /bound or native/ });
  t.throws(() => shippableSource(Math.max), { name: 'ConfigError', message: /bound or native/ });
});
