import { DecodeError } from '../errors.js';
import { hashstashSerializer } from '../serializers/hashstash.js';

/**
 * The export format, one entry a line: `{"key": K, "value": V}`, where K and V are the hashstash serializer's JSON
 * (plain JSON for plain data; Maps, Sets, Dates, BigInts, typed arrays as tagged objects), so every line is JSON any
 * tool reads, and an import gives back equal keys and values.
 */
export function exportLine(key: unknown, value: unknown): string {
  return `{"key":${hashstashSerializer.serializeToText!(key)},"value":${hashstashSerializer.serializeToText!(value)}}`;
}

/** The key and value of one export line; DecodeError naming the line when it is not one. */
export function importLine(line: string, where: string): [key: unknown, value: unknown] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch (error) {
    throw new DecodeError(`${where}: not a JSON line (${(error as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null || !('key' in parsed) || !('value' in parsed))
    throw new DecodeError(`${where}: a line must be {"key": …, "value": …}`);
  const { key, value } = parsed;
  return [revive(key, where), revive(value, where)];
}

function revive(json: unknown, where: string): unknown {
  try {
    return hashstashSerializer.deserialize(Buffer.from(JSON.stringify(json)), {});
  } catch (error) {
    throw new DecodeError(`${where}: ${(error as Error).message}`);
  }
}
