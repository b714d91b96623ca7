"""The hugedict side of the load suite (bench/suites/load.ts): the same file, loaded and read here.

Reads a JSON spec on stdin: file (gzipped NDJSON, key field "id"), dbpath (a folder of its own), keys (the random
reads, in order). Loads the file with hugedict's rocksdb_load (parallel SST building, then ingest; compact=False, the
call's fastest form), with the record type hugedict documents for NDJSON: the key field "id", the value the object
itself. Then opens the database read-only as a RocksDBDict whose values are parsed back with orjson (hugedict's own
JSON dependency) and reads the keys in order. Prints one JSON object: load and get, each a Timing ({ops, seconds}).
"""
import json
import sys
import time
from functools import partial

import orjson
from hugedict.prelude import RocksDBDict, RocksDBOptions, rocksdb_load


def main():
    spec = json.load(sys.stdin)
    dbpath = spec["dbpath"]
    start = time.perf_counter()
    rocksdb_load(
        dbpath=dbpath,
        dbopts=RocksDBOptions(create_if_missing=True),
        files=[spec["file"]],
        format={
            "record_type": {"type": "ndjson", "key": "id", "value": None},
            "is_sorted": False,
        },
        verbose=False,
        compact=False,
    )
    load = {"ops": spec["records"], "seconds": time.perf_counter() - start}

    db = RocksDBDict(
        path=dbpath,
        options=RocksDBOptions(create_if_missing=False),
        deser_key=partial(str, encoding="utf-8"),
        deser_value=orjson.loads,
        ser_value=orjson.dumps,
        readonly=True,
    )
    keys = spec["keys"]
    start = time.perf_counter()
    for key in keys:
        if db[key]["id"] != key:
            raise ValueError(f"hugedict read {key} wrong")
    get = {"ops": len(keys), "seconds": time.perf_counter() - start}
    json.dump({"load": load, "get": get}, sys.stdout)


if __name__ == "__main__":
    main()
