/** The two kinds of server the tests need: "mongo" is any MongoDB-compatible server (FerretDB when we start it). */
export type ServerKind = 'redis' | 'mongo';

/** The variable the runner sets, in place of the URL, to the reason a server could not be had. */
export function unavailableEnv(kind: ServerKind): string {
  return kind === 'redis' ? 'HASHSTASH_TEST_REDIS_UNAVAILABLE' : 'HASHSTASH_TEST_MONGO_UNAVAILABLE';
}
