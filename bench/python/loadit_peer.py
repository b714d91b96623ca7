"""The loadit side of the sequence suite (bench/suites/sequence.ts): the same workload as stash.sequence, timed here.

Reads a JSON spec on stdin: root (a folder of its own), items, shardLength, memoryShards, workUs (busy work per
generated item), indices (the random reads, in order). Prints one JSON object with a Timing ({ops, seconds}) per phase:
  generator  a plain pass over the generator (the cost of the items themselves);
  cold       the first pass over LoadIt(root, generator): every shard generated and written;
  iterate    a full pass over a new LoadIt(root, None) on the complete cache;
  random     the indices read from another new LoadIt(root, None).
"""
import json
import sys
import time

from loadit import LoadIt


def main():
    spec = json.load(sys.stdin)
    items = spec["items"]
    work = spec["workUs"] / 1e6

    def generate():
        for i in range(items):
            until = time.perf_counter() + work
            while time.perf_counter() < until:
                pass
            yield {"i": i, "label": f"item_{i}", "square": i * i}

    def timed(work_fn):
        start = time.perf_counter()
        ops = work_fn()
        return {"ops": ops, "seconds": time.perf_counter() - start}

    def count(iterable):
        n = 0
        for _ in iterable:
            n += 1
        return n

    def options():
        return {"max_shard_length": spec["shardLength"], "max_cache_size": spec["memoryShards"]}

    result = {"generator": timed(lambda: count(generate()))}
    result["cold"] = timed(lambda: count(LoadIt(spec["root"], generate, **options())))
    result["iterate"] = timed(lambda: count(LoadIt(spec["root"], None, **options())))
    reader = LoadIt(spec["root"], None, **options())
    indices = spec["indices"]

    def read_all():
        for i in indices:
            if reader[i]["i"] != i:
                raise ValueError(f"loadit read item {i} wrong")
        return len(indices)

    result["random"] = timed(read_all)
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
