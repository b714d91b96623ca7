"""The chunk-memo side of the sweep suite (bench/suites/sweep.ts): the same grid as stash.sweep, timed here.

Reads a JSON spec from argv[1], or from stdin when there is no argument: root (a folder of its own), axes (the grid
sizes, {axis: n}: axis values 0..n-1), chunk ({axis: chunk size}), params (the fixed parameters), workMs (busy work
per point, a time.perf_counter spin), scenarios (any of "cold", "cached", "half"; default all three). Each point
returns {**point, "v": a * b}. Everything goes through chunk-memo's decorator, `@ChunkMemo(...).cache()`, whose
calls run the serial runner (`chunk_memo.run`), with verbose=0; a new ChunkMemo is made inside every timed call, as
the Node side makes a new Sweep. Prints one JSON object, a Timing ({ops: points, seconds}) and chunk-memo's
Diagnostics per scenario:
  cold    an empty cache, the full grid (every chunk computed and written);
  cached  the full grid again in the same root, after the cold run: every chunk read back;
  half    in a root of its own, the first half of axis a computed by an untimed call, then the full grid timed
          (half the chunks read, half computed).
The timings are taken with time.perf_counter in this process: interpreter start-up and imports are not counted.
"""
import contextlib
import json
import os
import sys
import time

from chunk_memo import ChunkMemo


def busy(seconds):
    until = time.perf_counter() + seconds
    while time.perf_counter() < until:
        pass


def main():
    spec = json.loads(sys.argv[1]) if len(sys.argv) > 1 else json.load(sys.stdin)
    axes = {axis: list(range(size)) for axis, size in spec["axes"].items()}
    chunk = dict(spec["chunk"])
    params = dict(spec.get("params", {}))
    work = spec["workMs"] / 1000
    scenarios = spec.get("scenarios", ["cold", "cached", "half"])
    total = 1
    for values in axes.values():
        total *= len(values)

    def sweep(root, **selection):
        """One call of the memoized function, from a new ChunkMemo, on the selection (the full grid when empty)."""
        memo = ChunkMemo(root, chunk, axes, verbose=0)

        @memo.cache()
        def point(params, a, b):
            busy(work)
            return {"a": a, "b": b, "v": a * b}

        return point(params, **selection)

    def timed(root, expected):
        start = time.perf_counter()
        output, diagnostics = sweep(root)
        seconds = time.perf_counter() - start
        if len(output) != expected or any(item["v"] != item["a"] * item["b"] for item in output):
            raise ValueError(f"chunk-memo returned {len(output)} points for {expected}")
        return {"ops": expected, "seconds": seconds}, vars(diagnostics)

    result = {"points": total}
    # chunk-memo prints progress on stdout even at verbose=0 in some paths; stdout is for the JSON alone.
    with contextlib.redirect_stdout(sys.stderr):
        main_root = os.path.join(spec["root"], "grid")
        if "cold" in scenarios or "cached" in scenarios:
            timing, diagnostics = timed(main_root, total)
            if "cold" in scenarios:
                result["cold"] = {"timing": timing, "diagnostics": diagnostics}
        if "cached" in scenarios:
            # Several reruns, each from a new ChunkMemo, timed together: one rerun is too short to time alone.
            reruns = spec.get("cached_reruns", 1)
            timing = {"ops": 0, "seconds": 0.0}
            for _ in range(reruns):
                one, diagnostics = timed(main_root, total)
                if diagnostics["executed_chunks"] != 0:
                    raise ValueError(f"chunk-memo computed {diagnostics['executed_chunks']} chunks on a cached rerun")
                timing["ops"] += one["ops"]
                timing["seconds"] += one["seconds"]
            result["cached"] = {"timing": timing, "diagnostics": diagnostics}
        if "half" in scenarios:
            half_root = os.path.join(spec["root"], "half")
            sweep(half_root, a=axes["a"][: len(axes["a"]) // 2])
            timing, diagnostics = timed(half_root, total)
            result["half"] = {"timing": timing, "diagnostics": diagnostics}
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
