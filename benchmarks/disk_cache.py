"""What checking the disk cache costs: a workload's first call from a warm cache, and an eviction scan.

``python benchmarks/disk_cache.py [--workload mlp_step] [--runs 3] [--entries 2000]`` fills a new cache
folder in one process, then runs the workload's first call in ``--runs`` fresh processes that load
everything from it, and prints each first call with the part spent reading and verifying cache files
(``fnx/lower/cpu/disk_cache.py``: ownership checks, the module's source comparison, the SHA-256 of Numba's
sealed files). Then it times one eviction scan of a folder holding ``--entries`` synthetic entries (a module
and two Numba files each), which a process runs at its first write to a folder and whenever its count of
the bytes written passes ``fnx.config.cache_max_bytes``. Nothing asserts on a time.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _child(name: str) -> None:
    """In this fresh process: the first call of workload ``name``, with the cache's checks timed."""
    sys.path[:0] = [str(HERE.parent), str(HERE)]
    import workloads
    from worker import load_framework
    F = load_framework("fnx", None)
    from fnx.lower.cpu import disk_cache
    spent = {"seconds": 0.0, "files": 0, "bytes": 0}

    def timed(function):
        def wrapper(*args):
            start = time.perf_counter()
            try:
                return function(*args)
            finally:
                spent["seconds"] += time.perf_counter() - start
        return wrapper

    read = disk_cache._read_private

    def counted_read(path):
        data = read(path)
        spent["files"] += data is not None
        spent["bytes"] += len(data or b"")
        return data

    disk_cache._read_private = timed(counted_read)
    disk_cache._unseal = timed(disk_cache._unseal)
    workload = workloads.BY_NAME[name]
    args = F.block(F.put(workload.inputs(False)))
    fn = workload.traced(F)
    start = time.perf_counter()
    F.block(fn(*args))
    print(json.dumps({"first": time.perf_counter() - start, **spent}))


def _eviction_scan(entries: int) -> float:
    """Seconds of one ``evict`` pass over a folder of ``entries`` synthetic entries, none removed."""
    from fnx.lower.cpu import disk_cache
    with tempfile.TemporaryDirectory(prefix="fnx-evict-") as folder:
        for i in range(entries):
            stem = os.path.join(folder, f"fnx_{i:024x}")
            for suffix in (".py", ".f0-10.py311.nbi", ".f0-10.py311.1.nbc"):
                with open(stem + suffix, "wb") as f:
                    f.write(b"x" * 100)
        start = time.perf_counter()
        disk_cache.evict(folder, 1 << 40)
        return time.perf_counter() - start


def main(argv: list[str] | None = None) -> None:
    """Parse the command line; print one line per run."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workload", default="mlp_step")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--entries", type=int, default=2000)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(args.child)
        return
    with tempfile.TemporaryDirectory(prefix="fnx-disk-cache-") as cache:
        env = {**os.environ, "FNX_CACHE_DIR": cache, "FNX_BACKGROUND_COMPILE": "off"}
        for run in range(args.runs + 1):
            out = subprocess.run([sys.executable, __file__, "--child", args.workload], env=env, check=True,
                                 capture_output=True, text=True).stdout
            result = json.loads(out.strip().splitlines()[-1])
            print(f"{'cold' if run == 0 else 'warm'} first call {result['first']:.3f} s; reading and checking "
                  f"{result['files']} cache files ({result['bytes'] / 1e6:.2f} MB): {result['seconds'] * 1e3:.1f} ms")
    sys.path.insert(0, str(HERE.parent))
    print(f"eviction scan of {args.entries} entries ({3 * args.entries} files): "
          f"{_eviction_scan(args.entries) * 1e3:.1f} ms")


if __name__ == "__main__":
    main()
