// ESLint for hashstash: typescript-eslint's type-checked rules on every TypeScript file of the project (src, test,
// bench, examples, scripts), with the habits this codebase keeps on top. Run from the root: `npm run lint`.
import js from '@eslint/js';
import globals from 'globals';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'docs/**',
      '**/node_modules/**',
      'bench/results/**',
      'bench/.venv/**',
      'test/package/consumer/**',
      '.servers/**',
      'figures/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: root },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // A promise nobody awaits or catches: an unhandled lmdb commit failure once killed writer processes.
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          // tap queues subtests: `t.test(...)` is not awaited on purpose.
          allowForKnownSafePromises: [{ from: 'package', name: 'PromiseWithSubtest', package: '@tapjs/core' }],
        },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      // Narrowed: `catch (error) { return Promise.reject(error); }` passes on what was thrown, typed `unknown`, as the
      // rejection (how a synchronous throw becomes a rejection here); rejecting with a value known not to be an Error
      // is still reported.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true }],
      // Narrowed: the tagged-tree writer unwinds with UnsupportedAtPath, a plain object (no stack captured) collecting
      // the path on its way out; the serializer turns it into a SerializationError before anyone sees it.
      '@typescript-eslint/only-throw-error': [
        'error',
        { allow: [{ from: 'file', name: 'UnsupportedAtPath', path: 'src/serializers/tagged-tree/paths.ts' }] },
      ],
      // Off: an `async` function without `await` is how this code turns a synchronous throw into a rejection.
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false },
      ],
      '@typescript-eslint/no-import-type-side-effects': 'error',
      // Narrowed: tests declare `let stash` before a teardown that closes it, then assign it, so the close runs before
      // tap removes the test folder (teardowns run in the order they are added); a plain `let` never reassigned is
      // still reported.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      'no-restricted-exports': [
        'error',
        {
          restrictDefaultExports: {
            direct: true,
            named: true,
            defaultFrom: true,
            namedFrom: true,
            namespaceFrom: true,
          },
        },
      ],
    },
  },
  {
    // The public surface: no `any` in what users call or receive.
    files: ['src/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  {
    // Tests and benchmarks hand methods around on purpose: `stashOf(Model.prototype.fit)` is how a decorated method's
    // sub-stash is reached, `process.stderr.write` is saved to be restored, a serializer's or config's methods are
    // destructured (none of them uses `this`). src/ keeps the rule, and so do the type tests (test/types), which mark
    // their own uses.
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    ignores: ['test/types/**'],
    rules: { '@typescript-eslint/unbound-method': 'off' },
  },
  {
    // Tools' configuration files are read through their default export.
    files: ['tools/**/*.config.js', '**/vitest.config.mjs'],
    rules: { 'no-restricted-exports': 'off' },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: { ...globals.node } },
  },
  prettier,
);
