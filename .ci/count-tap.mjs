// Counts the tests of a tap run: every subtest one level inside a test file is one test.
// Steps run outside tap are passed after the log and its exit status as name=status ("docs=0"): each counts as one
// test, failed when its status is not 0.
// Prints "N passed, N failed[, N skipped]"; a failed run with nothing counted still prints a failure.
import { readFileSync } from 'node:fs';

const [log, status, ...steps] = process.argv.slice(2);
let passed = 0,
  failed = 0,
  skipped = 0;
for (const line of readFileSync(log, 'utf8').split('\n')) {
  const match = /^ {4}(not )?ok \d+/.exec(line);
  if (!match) continue;
  if (/# SKIP/i.test(line)) skipped++;
  else if (match[1]) failed++;
  else passed++;
}
if (status !== '0' && failed === 0) failed = 1;
for (const step of steps) {
  if (step.slice(step.lastIndexOf('=') + 1) === '0') passed++;
  else failed++;
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
