"""Run fnx's benchmarks: ``python benchmarks/run.py`` (add ``--quick`` for tiny sizes). See benchmarks/README.md."""
from __future__ import annotations

import argparse
import platform
import sys
from pathlib import Path

# Run from a checkout without installing: put the repo root (for fnx) and this folder on the path.
HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]

import numpy as np  # noqa: E402

import eager_dispatch  # noqa: E402
import fnx  # noqa: E402


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and run every benchmark, printing their tables."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny sizes and few repeats: a smoke run")
    args = parser.parse_args(argv)
    print(f"fnx {fnx.__version__}, NumPy {np.__version__}, Python {platform.python_version()}, "
          f"{platform.machine()}{' (quick)' if args.quick else ''}\n")
    eager_dispatch.run(quick=args.quick)


if __name__ == "__main__":
    main()
