// A queue worker process for the bench: `node worker.js '<serveStashQueue options as JSON>'`, as `hashstash worker`
// runs it. Prints `ready` on stderr once it takes jobs; SIGTERM closes it.
import { serveStashQueue } from '../../src/index.js';

const worker = await serveStashQueue(JSON.parse(process.argv[2]) as Parameters<typeof serveStashQueue>[0]);
process.stderr.write('ready\n');
process.once('SIGTERM', () => void worker.close().then(() => process.exit(0)));
