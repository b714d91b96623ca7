// The entry of every stash.map child process (backend 'processes'); compiled to dist/src/parallel/child.js, so no
// TypeScript loader is needed.
import { taskAnswerer, throwOutside } from './answer.js';
import { errorInfo, type ChildMessage, type ParentMessage } from './messages.js';

const send = (message: ChildMessage, done?: () => void) => process.send!(message, undefined, {}, done);

// A parent that dies closes the channel: nothing is left to do.
process.on('disconnect', () => process.exit(0));

// Reported to the pool as a worker thread's 'error' is, then the end Node gives an uncaught error (exit code 1).
let crashed = false;
process.on('uncaughtException', (error) => {
  if (crashed) return;
  crashed = true;
  try {
    send({ type: 'crash', error: errorInfo(error) }, () => process.exit(1));
  } catch {
    process.exit(1);
  }
});

let answering: ReturnType<typeof taskAnswerer> | undefined;
process.on('message', (message: ParentMessage) => {
  if ('stop' in message) process.exit(0);
  if ('setup' in message) {
    answering = taskAnswerer(message.setup, send);
    return;
  }
  // Tasks that arrive while the function loads wait for it; one that arrives after a load error goes unanswered.
  answering!.then((answer) => answer?.(message)).catch(throwOutside);
});
