#!/usr/bin/env node
/**
 * The `hashstash` command line: look inside a stash, export or import it, clear it (program.ts, command-table.ts).
 * `hashstash --help` is written from the command table alone; everything else loads commander first.
 */
import { topHelp } from './top-help.js';

const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === '--help' || argv[0] === '-h')) process.stdout.write(topHelp());
else await (await import('./program.js')).runProgram(process.argv);
