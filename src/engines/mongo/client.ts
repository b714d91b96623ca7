import type { MongoClient, MongoClientOptions } from 'mongodb';
import { loadDriver as loadLibrary } from '../../drivers.js';
import { SharedResources } from '../shared-resources.js';

/** One MongoClient per URL per process, shared by the stashes on it and closed when the last one lets go. */

/** An unreachable server fails within these (the driver's defaults are 30 s); a `?serverSelectionTimeoutMS=` in the URL wins. */
const SERVER_SELECTION_TIMEOUT_MS = 3_000;
const CONNECT_TIMEOUT_MS = 3_000;
/**
 * Connections per client unless the URL sets `maxPoolSize` (the driver's default is 100), and so the operations
 * one process has in flight. FerretDB 1.x holds two of its 100 SQLite connections for every update in flight and
 * deadlocks (every client of that database hangs, `ping` included) once about 100 wait for their second one.
 */
export const MAX_POOL_SIZE = 16;

export type Driver = typeof import('mongodb');
let driver: Driver | undefined;

/** The driver if it has been loaded (errors from it can only exist then). */
export const loadedDriver = (): Driver | undefined => driver;

export const loadDriver = (): Driver => (driver ??= loadLibrary<Driver>('mongodb'));

export interface SharedClient {
  readonly url: string;
  /** Set once connected; the driver reconnects by itself from then on. */
  client: MongoClient | undefined;
  connecting: Promise<MongoClient> | undefined;
}

const clients = new SharedResources<string, SharedClient>(async (shared) => {
  const client = shared.client ?? (await shared.connecting?.catch(() => undefined));
  shared.client = undefined;
  shared.connecting = undefined;
  await client?.close();
});

/** The shared client of `url` (not yet connected when new); the caller must `release` it. */
export function acquire(url: string): SharedClient {
  return clients.acquire(url, () => ({ url, client: undefined, connecting: undefined }));
}

/** Gives a client back; the last user's release closes it. */
export function release(shared: SharedClient): Promise<void> {
  return clients.release(shared.url, shared);
}

function clientOptions(query: string): MongoClientOptions {
  const options: MongoClientOptions = { promoteBuffers: true, appName: 'hashstash' };
  if (!/(^|&)maxPoolSize=/i.test(query)) options.maxPoolSize = MAX_POOL_SIZE;
  if (!/(^|&)serverSelectionTimeoutMS=/i.test(query)) options.serverSelectionTimeoutMS = SERVER_SELECTION_TIMEOUT_MS;
  if (!/(^|&)connectTimeoutMS=/i.test(query)) options.connectTimeoutMS = CONNECT_TIMEOUT_MS;
  return options;
}

/**
 * The connected client. A MongoClient whose first connection failed is closed for good (every later operation
 * says "Topology is closed"), so a failed attempt is dropped and the next operation starts a new client.
 */
export function connected(shared: SharedClient, mongo: Driver, query: string): Promise<MongoClient> {
  if (shared.client) return Promise.resolve(shared.client);
  return (shared.connecting ??= (async () => {
    const client = new mongo.MongoClient(shared.url, clientOptions(query));
    try {
      await client.connect();
    } catch (error) {
      shared.connecting = undefined;
      await client.close().catch(() => {});
      throw error;
    }
    shared.client = client;
    return client;
  })());
}
