"""Test configuration.

- Jitted functions compile in the call (``FNX_BACKGROUND_COMPILE=off``, also for the subprocesses tests
  start), so that every test of compiled code runs compiled code, and OpenBLAS keeps its thread count
  (``FNX_ADAPT_BLAS_THREADS=0``), and compile workers compile no kernels ahead (``FNX_COMPILE_AHEAD=0``);
  tests/test_tiers.py checks these features themselves.
- Under CI (the CI environment variable set), hypothesis draws the same examples on every run, so a CI result
  can be reproduced exactly; locally it explores new examples each run.
- Run on several processes (pytest-xdist's ``-n 2 --dist loadgroup``, as the README's test command does), each
  test file runs whole in one of them, so that its tests share the functions it compiles once; test_tiers.py
  runs beside test_jit.py, whose compiled battery it reuses."""
import os

import pytest

os.environ["FNX_BACKGROUND_COMPILE"] = "off"  # before fnx is imported: its settings read the environment
os.environ["FNX_ADAPT_BLAS_THREADS"] = "0"  # OpenBLAS's thread count does not follow the machine's load
os.environ["FNX_COMPILE_AHEAD"] = "0"  # compile workers compile no kernels ahead, on a CPU the tests share

from hypothesis import settings  # noqa: E402

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


_GROUPS = {"test_tiers.py": "test_jit.py"}  # a file that reuses another's compiled functions runs beside it


def pytest_collection_modifyitems(config, items):
    if config.pluginmanager.hasplugin("xdist"):
        for item in items:
            item.add_marker(pytest.mark.xdist_group(_GROUPS.get(item.path.name, item.path.name)))
