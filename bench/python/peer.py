"""Times the Python hashstash (from PyPI) on the bench's workloads, for the peers suite.

Reads one JSON spec on stdin and prints one JSON result on stdout. Timing happens here, with
time.perf_counter, so the interpreter's start-up and the import are not counted. The spec:

  engine       'lmdb' | 'pairtree' | 'sqlite' | 'redis'
  serializer   'pickle' | 'hashstash'
  compress     a codec name; 'raw' for none
  b64          true/false, or null to let the engine choose (redis needs base64 for pickle)
  root         an empty folder of the case's own; each round opens a stash in root/round-<n>
  workload     {"file": path} of a JSON {"keys", "values", "readOrder"}, or those three inline
  ops          any of 'set', 'get', 'iterate' (on the stash), 'run-hit' (memoized calls that hit, see time_memo_hits)
  rounds       how many rounds, each on a fresh stash
  minMs        a timed loop runs at least this long
  fillMs       writes (or memoized misses) go in key order until all are written or this long has passed
  redisUrl     redis://host:port, for the redis engine

The result: {"python", "hashstash", "entries": [written per round], "paths": [stash path per round],
"rounds": [{op: {"ops": n, "seconds": s}}]}. Errors print {"error": message} and exit 1.
"""

import json
import os
import sys
import time
from urllib.parse import urlparse

perf_counter = time.perf_counter

# hashstash logs to stderr; anything else that prints goes there too, so stdout carries only the result.
result_out = os.fdopen(os.dup(sys.stdout.fileno()), "w")
sys.stdout = sys.stderr

BATCH_SECONDS = 0.001


def timed_loop(op, count_of, min_seconds):
    """Runs op(i) for i = 0, 1, ... in growing batches until min_seconds have passed."""
    ops = 0
    batch = 1
    start = perf_counter()
    while True:
        batch_start = perf_counter()
        for i in range(ops, ops + batch):
            op(i)
        ops += batch
        now = perf_counter()
        if now - start >= min_seconds:
            break
        if now - batch_start < BATCH_SECONDS:
            batch *= 2
    return {"ops": count_of(ops), "seconds": perf_counter() - start}


def load_workload(spec):
    workload = spec["workload"]
    if "file" in workload:
        with open(workload["file"], encoding="utf-8") as handle:
            workload = json.load(handle)
    return workload["keys"], workload["values"], workload["readOrder"]


def open_stash(spec, root):
    from hashstash import HashStash

    options = {
        "engine": spec["engine"],
        "serializer": spec["serializer"],
        "compress": spec.get("compress") or "raw",
    }
    if spec.get("b64") is not None:
        options["b64"] = spec["b64"]
    if spec["engine"] == "redis":
        url = urlparse(spec["redisUrl"])
        options["host"] = url.hostname
        options["port"] = url.port or 6379
    return HashStash(root, **options)


def fill(stash, keys, values, limit_seconds):
    """Sequential writes in key order (what stash.update does too): all of them, or as many as fit in limit_seconds."""

    def write(key, value):
        stash[key] = value

    return fill_by(write, keys, values, limit_seconds)


def fill_by(write, keys, values, limit_seconds):
    written = 0
    start = perf_counter()
    for key, value in zip(keys, values):
        write(key, value)
        written += 1
        if perf_counter() - start >= limit_seconds:
            break
    return written, {"ops": written, "seconds": perf_counter() - start}


RECORDS_BY_NAME = {}
COMPUTED = [0]


def record_named(name):
    """The memoized function: the workload's record for a key, like the memo suite's `smallRecordNamed`."""
    COMPUTED[0] += 1
    return RECORDS_BY_NAME[name]


def time_memo_hits(stash, keys, values, read_order, fill_seconds, min_seconds):
    """Calls stash.run(record_named, key) for keys in order until fill_seconds (misses: computed and stored), then
    times calls that hit, in the shuffled read order over the keys stored."""
    RECORDS_BY_NAME.update(zip(keys, values))
    stored, _ = fill_by(lambda key, _value: stash.run(record_named, key), keys, values, fill_seconds)
    order = [keys[index] for index in read_order if index < stored]
    if stash.run(record_named, order[0]) != RECORDS_BY_NAME[order[0]]:
        raise ValueError(f"the memoized call for {order[0]} gave back a different record")
    computed = COMPUTED[0]
    n = len(order)
    timing = timed_loop(lambda i: stash.run(record_named, order[i % n]), lambda count: count, min_seconds)
    if COMPUTED[0] != computed:
        raise ValueError(f"the memo computed {COMPUTED[0] - computed} times during the hit loop")
    return stored, timing


PROBE_KEY = "hashstash-bench-probe"


def run_round(spec, round_root, keys, values, read_order):
    stash = open_stash(spec, round_root)
    # Opens the storage (or the connection) now, not in the first timed write; no workload key looks like the probe.
    stash[PROBE_KEY] = 0
    del stash[PROBE_KEY]
    ops = set(spec["ops"])
    min_seconds = spec["minMs"] / 1000
    timings = {}
    if "run-hit" in ops:
        written, timings["run-hit"] = time_memo_hits(stash, keys, values, read_order, spec["fillMs"] / 1000, min_seconds)
    if ops & {"set", "get", "iterate"}:
        written = fill_and_read(stash, ops, keys, values, read_order, spec["fillMs"] / 1000, min_seconds, timings)
    path = stash.path
    if spec["engine"] == "redis":
        stash.clear()
    stash.close()
    return written, path, timings


def fill_and_read(stash, ops, keys, values, read_order, fill_seconds, min_seconds, timings):
    written, fill_timing = fill(stash, keys, values, fill_seconds)
    if "set" in ops:
        timings["set"] = fill_timing

    order = [index for index in read_order if index < written]
    if stash[keys[order[0]]] != values[order[0]]:
        raise ValueError(f"reading {keys[order[0]]} gave back a different value")
    if "get" in ops:
        read_keys = [keys[index] for index in order]
        n = len(read_keys)
        timings["get"] = timed_loop(lambda i: stash[read_keys[i % n]], lambda count: count, min_seconds)
    if "iterate" in ops:
        def one_pass(_):
            seen = sum(1 for _item in stash.items())
            if seen != written:
                raise ValueError(f"iteration gave {seen} entries, {written} were written")
        timings["iterate"] = timed_loop(one_pass, lambda passes: passes * written, min_seconds)
    return written


def main():
    spec = json.load(sys.stdin)
    import hashstash

    keys, values, read_order = load_workload(spec)
    result = {
        "python": sys.version.split()[0],
        "hashstash": getattr(hashstash, "__version__", "unknown"),
        "entries": [],
        "paths": [],
        "rounds": [],
    }
    for round_index in range(spec["rounds"]):
        round_root = os.path.join(spec["root"], f"round-{round_index}")
        written, path, timings = run_round(spec, round_root, keys, values, read_order)
        result["entries"].append(written)
        result["paths"].append(path)
        result["rounds"].append(timings)
    json.dump(result, result_out)
    result_out.write("\n")
    result_out.flush()


if __name__ == "__main__":
    try:
        main()
    except Exception as error:  # reported to the bench as the reason this peer is missing
        json.dump({"error": f"{type(error).__name__}: {error}"}, result_out)
        result_out.write("\n")
        result_out.flush()
        sys.exit(1)
