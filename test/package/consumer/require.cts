// A CommonJS TypeScript file: `require` of the ES module package, which module Node20 (TypeScript >= 5.9) allows.
import hashstash = require('hashstash');

const stash = new hashstash.HashStash({ engine: 'memory' });
void stash.set('k', new Map([['a', 1]])).then(() => stash.get('k'));
