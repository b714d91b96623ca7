// The API reference that `npm run docs` builds covers every name the package exports, so no export can be added
// without appearing there (and TypeDoc's own validation, in tools/docs/typedoc.json, fails on one without TSDoc).
// It reads the reference's JSON, which `npm run docs` writes and .ci/run builds before the tests: without it this
// test fails under CI and is skipped elsewhere, saying how to build it.
import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from '../helpers/pack.js';

const referenceJson = join(repoRoot, 'docs', 'api', 'hashstash.json');
// TypeScript 6, installed by `npm run docs` for TypeDoc: unlike our TypeScript 7 it has a JS API, which lists the
// type-only exports that the compiled JavaScript does not have.
const docsTools = join(repoRoot, 'tools', 'docs', 'package.json');

/** The part of TypeScript 6's API used here (our TypeScript 7 package has no typings for it). */
interface TypeScriptApi {
  ModuleKind: { NodeNext: number };
  ModuleResolutionKind: { NodeNext: number };
  createProgram(
    roots: string[],
    options: object,
  ): {
    getTypeChecker(): {
      getSymbolAtLocation(node: unknown): object | undefined;
      getExportsOfModule(module: object): { name: string }[];
    };
    getSourceFile(path: string): unknown;
  };
}

interface Reflection {
  name: string;
  comment?: { summary: unknown[] };
  signatures?: { comment?: { summary: unknown[] } }[];
}

const built = existsSync(referenceJson) && existsSync(join(repoRoot, 'tools', 'docs', 'node_modules', 'typescript'));
const notBuilt = `no API reference at ${referenceJson}: run \`npm run docs\` first`;

interface ModuleReflection extends Reflection {
  children?: Reflection[];
}

/** Every name `declarations` exports, values and types, as TypeScript resolves them through the re-exports. */
function declaredExportsOf(declarations: string): string[] {
  const ts = createRequire(docsTools)('typescript') as TypeScriptApi;
  const program = ts.createProgram([declarations], {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    noEmit: true,
    types: [],
  });
  const checker = program.getTypeChecker();
  const module = checker.getSymbolAtLocation(program.getSourceFile(declarations));
  if (!module) throw new Error(`${declarations} is not a module`);
  return checker.getExportsOfModule(module).map((symbol) => symbol.name);
}

// Each entry point of the package and the module of the reference that documents it.
const ENTRY_POINTS = [
  { module: 'hashstash', compiled: join('dist', 'src', 'index') },
  { module: 'hashstash/test-suite', compiled: join('dist', 'src', 'test-suite', 'index') },
  { module: 'hashstash/keyv', compiled: join('dist', 'src', 'keyv', 'index') },
];

for (const entry of ENTRY_POINTS) {
  t.test(
    `the API reference documents every export of ${entry.module}`,
    { skip: !built && !process.env.CI && notBuilt },
    async (t) => {
      if (!built) {
        t.fail(notBuilt);
        return;
      }
      const reference = JSON.parse(readFileSync(referenceJson, 'utf8')) as { children?: ModuleReflection[] };
      const module = (reference.children ?? []).find((child) => child.name === entry.module);
      t.ok(module, `the reference has a module ${entry.module}`);
      const documented = new Map((module?.children ?? []).map((child) => [child.name, child]));

      const runtime = Object.keys((await import(pathToFileURL(join(repoRoot, `${entry.compiled}.js`)).href)) as object);
      const declared = declaredExportsOf(join(repoRoot, `${entry.compiled}.d.ts`));
      t.ok(runtime.length > 0 && declared.length >= runtime.length, 'the entry point exports values (and types)', {
        runtime,
        declared,
      });
      t.same(
        runtime.filter((name) => !declared.includes(name)),
        [],
        'every runtime export is declared in its .d.ts',
      );

      const missing = [...new Set([...runtime, ...declared])].filter((name) => !documented.has(name)).sort();
      t.same(missing, [], 'every export is in the reference (after changing exports, run `npm run docs`)');

      // TypeDoc fails the build on a missing comment; this holds a reference written despite that to the same rule.
      const undocumented = [...documented.values()]
        .filter(
          (child) => !child.comment?.summary.length && !child.signatures?.every((sig) => sig.comment?.summary.length),
        )
        .map((child) => child.name);
      t.same(undocumented, [], 'every export in the reference has a description');
    },
  );
}
