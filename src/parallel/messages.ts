/** What the parent and its workers say to each other. Values travel as the stash serializer's bytes. */

/** Everything a worker needs, given as its workerData. */
export interface WorkerSetup {
  readonly fn: import('./function-ref.js').FunctionSpec;
  readonly serializer: string;
  readonly trustCode: boolean;
}

/** Parent to worker: call the function with these serialized arguments. */
export interface TaskMessage {
  readonly id: number;
  readonly args: Uint8Array;
}

/** Parent to an idle worker, thread or child: exit (by itself, between tasks, rather than be terminated or killed). */
export interface StopMessage {
  readonly stop: true;
}

/** An error thrown in a worker, as plain data. */
export interface ErrorInfo {
  readonly name: string;
  readonly message: string;
  readonly stack: string | undefined;
  readonly code: unknown;
}

/** Worker to parent. */
export type WorkerMessage =
  | { readonly type: 'result'; readonly id: number; readonly value: Uint8Array }
  | { readonly type: 'error'; readonly id: number; readonly error: ErrorInfo }
  | { readonly type: 'load-error'; readonly error: ErrorInfo };

export function errorInfo(thrown: unknown): ErrorInfo {
  if (thrown instanceof Error) {
    return {
      name: thrown.name,
      message: thrown.message,
      stack: thrown.stack,
      code: (thrown as { code?: unknown }).code,
    };
  }
  return {
    name: 'Error',
    message: `a non-Error value was thrown: ${String(thrown)}`,
    stack: undefined,
    code: undefined,
  };
}

/** The worker's error rebuilt in the parent, with the worker's stack. */
export function rebuildError(info: ErrorInfo): Error {
  const error = new Error(info.message);
  error.name = info.name;
  error.stack = info.stack ?? `${info.name}: ${info.message}`;
  if (info.code !== undefined) (error as { code?: unknown }).code = info.code;
  return error;
}

/** Parent to a child process (backend 'processes'): its setup first, then tasks, and `stop` to let it exit. */
export type ParentMessage = { readonly setup: WorkerSetup } | TaskMessage | StopMessage;

/** A child process to its parent: a worker's messages, and the uncaught error that is about to end it. */
export type ChildMessage = WorkerMessage | { readonly type: 'crash'; readonly error: ErrorInfo };
