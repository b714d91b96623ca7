/**
 * How many objects deep `value` nests, counting the value itself: the longest chain of first meetings through own
 * enumerable properties, Map keys and values, Set members, and an Error's cause and errors, which is what the
 * serializers follow. It keeps its own stack, so it measures values too deep for the recursion that failed on them.
 * Undefined when reading the value throws (a getter, a revoked Proxy).
 */
export function nestingDepth(value: unknown): number | undefined {
  const seen = new Set<object>();
  const pending: [object, number][] = [];
  const meet = (child: unknown, depth: number): void => {
    if ((typeof child !== 'object' || child === null) && typeof child !== 'function') return;
    if (seen.has(child)) return;
    seen.add(child);
    pending.push([child, depth]);
  };
  meet(value, 1);
  let deepest = 0;
  try {
    while (pending.length > 0) {
      const [object, depth] = pending.pop()!;
      if (depth > deepest) deepest = depth;
      if (ArrayBuffer.isView(object) || object instanceof ArrayBuffer) continue;
      if (object instanceof Map) {
        for (const [key, entry] of object) {
          meet(key, depth + 1);
          meet(entry, depth + 1);
        }
        continue;
      }
      if (object instanceof Set) {
        for (const member of object) meet(member, depth + 1);
        continue;
      }
      if (object instanceof Error) {
        meet(object.cause, depth + 1);
        meet((object as Partial<AggregateError>).errors, depth + 1);
      }
      for (const key of Object.keys(object)) meet((object as Record<string, unknown>)[key], depth + 1);
    }
  } catch {
    return undefined;
  }
  return deepest;
}
