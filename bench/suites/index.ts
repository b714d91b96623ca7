import type { Suite } from '../suite.js';
import { codecsSuite } from './codecs.js';
import { serializersSuite } from './serializers.js';
import { stashSuite } from './stash.js';
import { profilesSuite } from './profiles.js';
import { peersSuite } from './peers.js';
import { memoSuite } from './memo.js';
import { recordsSuite } from './records.js';
import { appendSuite } from './append.js';
import { mapSuite } from './map.js';
import { memorySuite } from './memory.js';
import { expirySuite } from './expiry.js';
import { ttlServersSuite } from './ttl-servers.js';
import { watchSuite } from './watch.js';
import { keyvSuite } from './keyv.js';
import { sequenceSuite } from './sequence.js';
import { sweepSuite } from './sweep.js';
import { tiersSuite } from './tiers.js';
import { queueSuite } from './queue.js';
import { cliSuite } from './cli.js';
import { loadSuite } from './load.js';

/** Every suite, in the order they run. A new suite is one file in this folder and one line here. */
export const SUITES: readonly Suite[] = [
  serializersSuite,
  codecsSuite,
  stashSuite,
  profilesSuite,
  peersSuite,
  memoSuite,
  recordsSuite,
  appendSuite,
  mapSuite,
  memorySuite,
  expirySuite,
  ttlServersSuite,
  watchSuite,
  keyvSuite,
  sequenceSuite,
  sweepSuite,
  tiersSuite,
  queueSuite,
  cliSuite,
  loadSuite,
];
