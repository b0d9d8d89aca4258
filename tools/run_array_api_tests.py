"""Run the official Array API test suite (data-apis/array-api-tests) on ``fnx.numpy`` and summarize it.

Usage::

    python tools/run_array_api_tests.py SUITE [--deps DIR] [--max-examples 10] [--skip-complex]
                                          [--module fnx.numpy] [--xfails-file FILE] [--log FILE]
                                          [-- PYTEST_ARGS...]

``SUITE`` is a checkout of https://github.com/data-apis/array-api-tests with its ``array-api`` submodule (the
spec, which the suite reads for the signature tests) checked out inside it::

    git clone https://github.com/data-apis/array-api-tests SUITE
    git -C SUITE submodule update --init

The suite needs ``ndindex`` and ``pytest-json-report`` beside pytest and hypothesis. They are not fnx
dependencies: install them into a folder of their own and pass it as ``--deps``::

    pip install --no-deps --target /tmp/aat-deps ndindex pytest-json-report pytest-metadata

The suite runs in a subprocess, in ``SUITE``, with this checkout of fnx first on ``PYTHONPATH``,
``ARRAY_API_TESTS_MODULE=fnx.numpy`` (``--module numpy`` tests NumPy, for comparison),
``ARRAY_API_TESTS_VERSION=2023.12`` and no hypothesis deadline (the machine may be shared). ``--skip-complex``
sets ``ARRAY_API_TESTS_SKIP_DTYPES=complex64,complex128``, for a namespace without complex dtypes, and loads
this file as a pytest plugin (the hooks below): the suite takes the widest complex dtype with ``max`` over an
empty list then, and runs its special-case tests of complex inputs whatever dtypes it skips, so the plugin
gives it a placeholder and deselects those. The suite's code is not changed.

It prints pytest's summary line, the pass count out of the tests run, and every failing test id grouped by
test file; docs/array_api.md says why each known failure fails. Exit status: pytest's. 1.5 to 4 minutes on
two shared cores at 10 examples per test.
"""
from __future__ import annotations

import argparse
import collections
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _parse(argv: list) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("suite", type=Path, help="checkout of data-apis/array-api-tests (with its submodule)")
    parser.add_argument("--module", default="fnx.numpy", help="the namespace to test (numpy, for comparison)")
    parser.add_argument("--deps", type=Path, help="folder with ndindex and pytest-json-report (pip --target)")
    parser.add_argument("--max-examples", type=int, default=10, help="hypothesis examples per test")
    parser.add_argument("--skip-complex", action="store_true", help="leave complex64/complex128 untested")
    parser.add_argument("--xfails-file", type=Path, help="test ids to xfail, one a line (the suite's format)")
    parser.add_argument("--log", type=Path, help="write pytest's whole output here")
    ours, extra = (argv[:argv.index("--")], argv[argv.index("--") + 1:]) if "--" in argv else (argv, [])
    args = parser.parse_args(ours)
    args.pytest_args = extra  # after --: more pytest arguments, e.g. a test file
    return args


def _environment(args: argparse.Namespace) -> dict:
    env = dict(os.environ, ARRAY_API_TESTS_MODULE=args.module, ARRAY_API_TESTS_VERSION="2023.12")
    paths = [str(ROOT), str(ROOT / "tools")] + ([str(args.deps.resolve())] if args.deps else [])
    env["PYTHONPATH"] = os.pathsep.join(paths + [p for p in [os.environ.get("PYTHONPATH")] if p])
    if args.skip_complex:
        env["ARRAY_API_TESTS_SKIP_DTYPES"] = "complex64,complex128"
    return env


def _command(args: argparse.Namespace) -> list:
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-o", "addopts=", "-rfE", "--tb=line",
               "-q", f"--max-examples={args.max_examples}", "--hypothesis-disable-deadline"]
    if args.skip_complex:
        command += ["-p", Path(__file__).stem]
    if args.xfails_file:
        command.append(f"--xfails-file={args.xfails_file.resolve()}")
    return command + (args.pytest_args or ["array_api_tests/"])


def summarize(output: str) -> str:
    """The summary line, the pass count and the failing test ids by file, from pytest's ``-rfE`` output.

    Example: ``summarize("FAILED a.py::t - E\n= 1 failed, 2 passed in 1s =")`` lists ``t`` under ``a.py``.
    """
    failed = re.findall(r"^(?:FAILED|ERROR) (.+?)(?: - .*)?$", output, flags=re.M)
    by_file = collections.defaultdict(list)
    for test in failed:
        path, _, name = test.partition("::")
        by_file[path].append(name)
    summary = next((line for line in reversed(output.splitlines()) if re.search(r"\d+ (passed|failed)", line)),
                   "(no summary line)")
    counts = {kind: int(n) for n, kind in re.findall(r"(\d+) (passed|failed|skipped|xfailed|xpassed|deselected)",
                                                   summary)}
    run = sum(counts.get(k, 0) for k in ("passed", "failed", "xfailed", "xpassed"))
    lines = [summary.strip("= "), f"passed {counts.get('passed', 0)} of {run} run ({counts.get('skipped', 0)} skipped, "
                                  f"{counts.get('deselected', 0)} deselected)"]
    for path, names in sorted(by_file.items()):
        lines.append(f"{path}: {len(names)} failed")
        lines.extend(f"    {name}" for name in names)
    return "\n".join(lines)


def _max_or_widest_float(items, **kwargs):
    """``max``, but over no complex dtypes the widest float's entry (as the suite's ``(dtype, bits)`` pairs)."""
    if items:
        return max(items, **kwargs)
    from array_api_tests import xp
    return (xp.float64, 64)


def pytest_load_initial_conftests(early_config, parser, args) -> None:
    """As a pytest plugin, with complex skipped: import the suite's ``dtype_helpers`` with a ``max`` that
    accepts its empty list of complex dtypes, before its conftest imports it. The suite's code is unchanged."""
    if not os.environ.get("ARRAY_API_TESTS_SKIP_DTYPES"):
        return
    spec = importlib.util.find_spec("array_api_tests.dtype_helpers")
    module = importlib.util.module_from_spec(spec)
    module.max = _max_or_widest_float  # module globals come before builtins
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)


def pytest_collection_modifyitems(config, items: list) -> None:
    """As a pytest plugin, with complex skipped: deselect the special-case tests of complex inputs, which the
    suite runs whatever dtypes it was told to skip."""
    if not os.environ.get("ARRAY_API_TESTS_SKIP_DTYPES"):
        return
    config.hook.pytest_deselected(items=[item for item in items if _is_complex_case(item)])
    items[:] = [item for item in items if not _is_complex_case(item)]


def _is_complex_case(item) -> bool:
    """Whether a collected test is one of the suite's special cases of complex inputs."""
    case = getattr(item, "callspec", None) and item.callspec.params.get("case")
    return getattr(case, "is_complex", False)


def main(argv: list | None = None) -> int:
    """Run the suite as the module docstring says; print its output's summary; return pytest's status."""
    args = _parse(sys.argv[1:] if argv is None else argv)
    if not (args.suite / "array_api_tests").is_dir() or not any((args.suite / "array-api").glob("*")):
        sys.exit(f"{args.suite}: not an array-api-tests checkout with its array-api submodule")
    result = subprocess.run(_command(args), cwd=args.suite, env=_environment(args), text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if args.log:
        args.log.write_text(result.stdout)
    print(summarize(result.stdout))
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
