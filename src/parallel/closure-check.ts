import type {
  AnyNode,
  AssignmentExpression,
  CatchClause,
  Class as ClassNode,
  Function as FunctionNode,
  Node,
  SwitchStatement,
  VariableDeclaration,
} from 'acorn';
import type * as Acorn from 'acorn';
import type * as AcornWalk from 'acorn-walk';
import type { RecursiveVisitors } from 'acorn-walk';
import type { AnyConstructor, AnyFunction } from '../any-function.js';
import { loadDriver } from '../drivers.js';
import { ConfigError } from '../errors.js';
import { ClosureError } from './errors.js';
import { STANDARD_GLOBALS } from './globals.js';

// Loaded on the first check rather than at import: most programs that import hashstash never call stash.map, and the
// parser and walker cost about 20 ms of start-up. Both packages ship CommonJS, so the check stays synchronous.
let parser:
  { parse: typeof Acorn.parse; base: typeof AcornWalk.base; recursive: typeof AcornWalk.recursive } | undefined;
function acorn() {
  if (!parser) {
    const { parse } = loadDriver<typeof Acorn>('acorn');
    const { base, recursive } = loadDriver<typeof AcornWalk>('acorn-walk');
    parser = { parse, base, recursive };
  }
  return parser;
}

/**
 * Finding what a function's source refers to from outside itself: a scope analysis over its syntax tree. Every
 * declaration (parameters, var/let/const, function and class declarations and names, destructuring, catch
 * parameters, `arguments`) goes into its scope; every identifier read or written is recorded with the scope it
 * appears in, and resolved once the whole tree is walked, so hoisted declarations resolve whatever their position.
 */
class Scope {
  readonly names = new Set<string>();
  constructor(
    readonly parent: Scope | undefined,
    readonly isFunction: boolean,
  ) {}

  /** The nearest function scope, where `var` and function declarations land. */
  get varScope(): Scope {
    return this.isFunction || !this.parent ? this : this.parent.varScope;
  }

  declares(name: string): boolean {
    return this.names.has(name) || (this.parent?.declares(name) ?? false);
  }
}

interface WalkState {
  readonly scope: Scope;
  /** Inside a declaration's pattern: where its names go. Null: identifiers in patterns are assignments, i.e. uses. */
  readonly declare: 'var' | 'let' | null;
}

interface Reference {
  readonly name: string;
  readonly scope: Scope;
}

/** acorn-walk's callback; its typings leave out the third argument, the node type to visit the node as. */
type Visit = (node: Node, state: WalkState, type?: string) => void;
// `never`: each visitor declares the node type it is registered for (acorn-walk calls it with nodes of that type).
type Visitor = (node: never, state: WalkState, visit: Visit) => void;

function walkFunction(node: FunctionNode, state: WalkState, visit: Visit): void {
  if (node.type === 'FunctionDeclaration' && node.id) {
    // A function declaration is seen by its block and, in sloppy code, by the whole enclosing function.
    state.scope.names.add(node.id.name);
    state.scope.varScope.names.add(node.id.name);
  }
  const scope = new Scope(state.scope, true);
  if (node.type === 'FunctionExpression' && node.id) scope.names.add(node.id.name);
  if (node.type !== 'ArrowFunctionExpression') scope.names.add('arguments');
  for (const param of node.params) visit(param, { scope, declare: 'let' }, 'Pattern');
  visit(node.body, { scope, declare: null }, node.expression ? 'Expression' : 'Statement');
}

function walkClass(node: ClassNode, state: WalkState, visit: Visit): void {
  if (node.type === 'ClassDeclaration' && node.id) state.scope.names.add(node.id.name);
  const scope = new Scope(state.scope, false);
  if (node.type === 'ClassExpression' && node.id) scope.names.add(node.id.name);
  const inner = { scope, declare: null };
  if (node.superClass) visit(node.superClass, inner, 'Expression');
  visit(node.body, inner);
}

function inBlock(state: WalkState): WalkState {
  return { scope: new Scope(state.scope, false), declare: null };
}

function collect(root: AnyNode): { references: Reference[] } {
  const references: Reference[] = [];
  const { base, recursive } = acorn();
  const baseVisitors = base as unknown as Record<string, Visitor>;
  const visitors: Record<string, Visitor> = {
    Identifier(node: { name: string }, state) {
      references.push({ name: node.name, scope: state.scope });
    },
    VariablePattern({ name }: { name: string }, state) {
      if (state.declare === 'var') state.scope.varScope.names.add(name);
      else if (state.declare === 'let') state.scope.names.add(name);
      else references.push({ name, scope: state.scope });
    },
    Expression(node, state, visit) {
      visit(node, state.declare === null ? state : { scope: state.scope, declare: null });
    },
    VariableDeclaration(node: VariableDeclaration, state, visit) {
      const declare = node.kind === 'var' ? 'var' : 'let';
      for (const declarator of node.declarations) {
        visit(declarator.id, { scope: state.scope, declare }, 'Pattern');
        if (declarator.init) visit(declarator.init, { scope: state.scope, declare: null }, 'Expression');
      }
    },
    AssignmentExpression(node: AssignmentExpression, state, visit) {
      const uses = { scope: state.scope, declare: null };
      visit(node.left, uses, 'Pattern');
      visit(node.right, uses, 'Expression');
    },
    Function: walkFunction,
    Class: walkClass,
    BlockStatement(node, state, visit) {
      baseVisitors.BlockStatement(node, inBlock(state), visit);
    },
    StaticBlock(node, state, visit) {
      baseVisitors.StaticBlock(node, inBlock(state), visit);
    },
    ForStatement(node, state, visit) {
      baseVisitors.ForStatement(node, inBlock(state), visit);
    },
    ForInStatement(node, state, visit) {
      baseVisitors.ForInStatement(node, inBlock(state), visit);
    },
    ForOfStatement(node, state, visit) {
      baseVisitors.ForOfStatement(node, inBlock(state), visit);
    },
    SwitchStatement(node: SwitchStatement, state, visit) {
      visit(node.discriminant, state, 'Expression');
      const cases = inBlock(state);
      for (const switchCase of node.cases) visit(switchCase, cases);
    },
    CatchClause(node: CatchClause, state, visit) {
      const scope = new Scope(state.scope, false);
      if (node.param) visit(node.param, { scope, declare: 'let' }, 'Pattern');
      visit(node.body, { scope, declare: null }, 'Statement');
    },
  };
  const top = new Scope(undefined, true);
  recursive(root, { scope: top, declare: null }, visitors as RecursiveVisitors<WalkState>);
  return { references };
}

/** The outside variables `expression` (the source of one function) uses, in order of first use. */
export function outsideVariables(program: AnyNode): string[] {
  const { references } = collect(program);
  const outside = new Set<string>();
  for (const { name, scope } of references) {
    if (!STANDARD_GLOBALS.has(name) && !scope.declares(name)) outside.add(name);
  }
  return [...outside];
}

/** How a worker rebuilds a function from its source: an expression that evaluates to it. */
export interface ShippedSource {
  readonly expression: string;
  readonly name: string;
}

const PARSE_OPTIONS = { ecmaVersion: 'latest', sourceType: 'script' } as const;

function tryParse(code: string): AnyNode | undefined {
  const { parse } = acorn();
  try {
    return parse(code, PARSE_OPTIONS);
  } catch {
    return undefined;
  }
}

/**
 * The source of `fn` as an expression a worker can evaluate, after checking that it refers to nothing outside
 * itself. Functions, arrows and methods (`name(x) { … }`) are accepted; classes, bound and native functions are not.
 */
export function shippableSource(
  fn: AnyFunction | AnyConstructor,
  what = 'the function given to stash.map',
): ShippedSource {
  const source = Function.prototype.toString.call(fn);
  const name = fn.name.trim() || 'anonymous';
  if (/^class\b/.test(source)) throw new ConfigError(`${what} is a class (${name}); pass a function`);
  let expression = `(${source})`;
  let program = tryParse(expression);
  if (!program) {
    // A method's source (`name(x) { … }`, `async *name() { … }`) is not an expression on its own: as the only
    // member of an object literal it is, and the worker reads it back by its name.
    const holder = tryParse(`({${source}})`);
    const property = holder && methodOfHolder(holder);
    if (!property) {
      throw new ConfigError(
        `${what} (${name}) cannot be shipped to workers by its source: a bound or native function has ` +
          `none; use { module, export } to name a function in a module`,
      );
    }
    expression = `({${source}})[${JSON.stringify(property)}]`;
    program = holder;
  }
  const outside = outsideVariables(program);
  if (outside.length) {
    throw new ClosureError(
      `${what} (${name}) refers to ${outside.length === 1 ? 'a variable' : 'variables'} from outside itself: ` +
        `${outside.join(', ')}. Workers get only its source: pass such values through 'args', define them inside ` +
        `the function, or use { module, export } for a function that needs imports`,
      outside,
    );
  }
  return { expression, name };
}

/** The name of the one plain method in `({ method() {} })`, or undefined for anything else. */
function methodOfHolder(program: AnyNode): string | undefined {
  if (program.type !== 'Program' || program.body.length !== 1) return undefined;
  const statement = program.body[0];
  if (statement.type !== 'ExpressionStatement' || statement.expression.type !== 'ObjectExpression') return undefined;
  const [property, ...more] = statement.expression.properties;
  if (!property || more.length || property.type !== 'Property' || property.kind !== 'init' || property.computed)
    return undefined;
  if (property.key.type === 'Identifier') return property.key.name;
  if (property.key.type === 'Literal') return String(property.key.value);
  return undefined;
}
