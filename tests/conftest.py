"""Test configuration.

- Jitted functions compile in the call (``FNX_BACKGROUND_COMPILE=off``, also for the subprocesses tests
  start), so that every test of compiled code runs compiled code, and OpenBLAS keeps its thread count
  (``FNX_ADAPT_BLAS_THREADS=0``), and compile workers compile no kernels ahead (``FNX_COMPILE_AHEAD=0``);
  tests/test_tiers.py checks these features themselves.
- Under CI (the CI environment variable set), hypothesis draws the same examples on every run, so a CI result
  can be reproduced exactly; locally it explores new examples each run.
- Run on several processes (pytest-xdist's ``-n auto --dist loadfile``, as the README's test command does),
  each test file runs whole in one of them, so that its tests share the functions it compiles once;
  test_tiers.py runs beside test_jit.py, whose compiled battery it reuses. (Not ``--dist loadgroup`` with
  marks: with pytest 9.2 it ignores them, pytest-dev/pytest-xdist#1386.)"""
import os

import pytest

os.environ["FNX_BACKGROUND_COMPILE"] = "off"  # before fnx is imported: its settings read the environment
os.environ["FNX_ADAPT_BLAS_THREADS"] = "0"  # OpenBLAS's thread count does not follow the machine's load
os.environ["FNX_COMPILE_AHEAD"] = "0"  # compile workers compile no kernels ahead, on a CPU the tests share

from hypothesis import settings  # noqa: E402

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


_BESIDE = {"tests/test_tiers.py": "tests/test_jit.py"}  # a file that reuses another's compiled functions


@pytest.hookimpl(optionalhook=True)  # a pytest-xdist hook
def pytest_xdist_make_scheduler(config, log):
    """``--dist loadfile``, with the files of ``_BESIDE`` in their partner's worker."""
    if config.getvalue("dist") == "loadfile":
        from xdist.scheduler import LoadFileScheduling

        class FilesTogether(LoadFileScheduling):
            def _split_scope(self, nodeid: str) -> str:
                file = super()._split_scope(nodeid)
                return _BESIDE.get(file, file)

        return FilesTogether(config, log)
