/**
 * A test runner's function that registers one test: its name and its body, which may return a promise. tap's
 * `t.test` (bound: `t.test.bind(t)`), node:test's `test`, vitest's and jest's `test` or `it` all fit.
 */
export type TestFunction = (name: string, body: () => Promise<void>) => unknown;
