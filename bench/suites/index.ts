import type { Suite } from '../suite.js';
import { codecsSuite } from './codecs.js';
import { serializersSuite } from './serializers.js';
import { stashSuite } from './stash.js';

/** Every suite, in the order they run. A new suite is one file in this folder and one line here. */
export const SUITES: readonly Suite[] = [serializersSuite, codecsSuite, stashSuite];
