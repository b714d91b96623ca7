import type { EngineContext, EngineFactory } from '../engines/engine.js';
import type { TestFunction } from './runner.js';

/** What every engine-level suite runs on: a test function, the engine's factory, and what each location gets. */
export interface EngineSuiteOptions {
  /** Registers one test; see {@link TestFunction}. */
  readonly test: TestFunction;
  /** Builds an engine for one stash location: the factory you register with `registerEngine`. */
  readonly factory: EngineFactory;
  /** Put before each test's name, to tell the suite's runs apart; default the engine's own name. */
  readonly name?: string | undefined;
  /**
   * Fields every location gets, for a server engine's `url` or the memory engine's `maxBytes`; the suite makes `path`
   * (a folder of its own inside a fresh temporary folder) and `namespace` (unique per location) itself.
   */
  readonly context?: Partial<EngineContext> | undefined;
}
