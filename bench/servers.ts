import { createFerretDbServer, FERRETDB_VERSION, findFerretDb } from '../scripts/test-servers/ferretdb.js';
import { createRedisServer, findRedisServer } from '../scripts/test-servers/redis.js';
import type { ServerProcess } from '../scripts/test-servers/server-process.js';
import type { ServerKind } from '../scripts/test-servers/server-kinds.js';

export type { ServerKind };

type Outcome =
  { readonly url: string; readonly server?: ServerProcess; readonly what: string } | { readonly reason: string };

const URL_ENV: Record<ServerKind, string> = { redis: 'REDIS_URL', mongo: 'MONGODB_URL' };

/** The servers of this run, by kind: the one its URL variable names, one of our own, or why there is none. */
const outcomes = new Map<ServerKind, Outcome>();

function binaryFor(kind: ServerKind): { binary: string } | { reason: string } {
  if (kind === 'redis') {
    const binary = findRedisServer();
    return binary
      ? { binary }
      : { reason: 'redis-server is not installed (the bench installs nothing: run `npm test` once, or set REDIS_URL)' };
  }
  const binary = findFerretDb();
  return binary
    ? { binary }
    : {
        reason: `FerretDB ${FERRETDB_VERSION} is not built (the bench builds nothing: run \`npm test\` once, or set MONGODB_URL)`,
      };
}

async function obtain(kind: ServerKind): Promise<Outcome> {
  const given = process.env[URL_ENV[kind]];
  if (given) return { url: given, what: `${URL_ENV[kind]}` };
  const found = binaryFor(kind);
  if ('reason' in found) return found;
  const created =
    kind === 'redis' ? await createRedisServer({ binary: found.binary }) : await createFerretDbServer(found.binary);
  try {
    await created.server.start();
  } catch (error) {
    await created.server.dispose();
    return { reason: `${found.binary} would not start: ${(error as Error).message}` };
  }
  return {
    ...created,
    what: `own ${kind === 'redis' ? 'redis-server' : `FerretDB ${FERRETDB_VERSION}`} (${found.binary})`,
  };
}

/**
 * Gets a server of each kind asked for: the one REDIS_URL / MONGODB_URL names, else a private one on a free loopback
 * port, started the way `npm test` starts them (scripts/test-servers/). Nothing is installed or built here: a
 * missing binary leaves that kind without a server, and its stores are reported missing with the reason.
 */
export async function startServers(kinds: Iterable<ServerKind>, log: (line: string) => void): Promise<void> {
  for (const kind of new Set(kinds)) {
    if (outcomes.has(kind)) continue;
    const outcome = await obtain(kind);
    outcomes.set(kind, outcome);
    log('reason' in outcome ? `  no ${kind} server: ${outcome.reason}` : `  ${kind}: ${outcome.what}`);
  }
}

/** The URL of the kind's server; throws with the reason when there is none. */
export function serverUrl(kind: ServerKind): string {
  const outcome = outcomes.get(kind);
  if (!outcome) throw new Error(`no ${kind} server was started for this suite`);
  if ('reason' in outcome) throw new Error(outcome.reason);
  return outcome.url;
}

/**
 * The URL of the server of `kind`, or undefined after recording every subject in `subjects` as not measured, with
 * the reason (for a suite that cannot run a case without it).
 */
export function serverUrlOrMissing(
  kind: ServerKind,
  subjects: Iterable<string>,
  missing: (subject: string, reason: string) => void,
): string | undefined {
  try {
    return serverUrl(kind);
  } catch (error) {
    for (const subject of subjects) missing(subject, (error as Error).message);
    return undefined;
  }
}

/** Stops the servers of our own (ones named by a URL variable are left alone) and forgets them all. */
export async function stopServers(): Promise<void> {
  const ours = [...outcomes.values()].flatMap((outcome) =>
    'server' in outcome && outcome.server ? [outcome.server] : [],
  );
  outcomes.clear();
  await Promise.all(ours.map((server) => server.dispose()));
}
