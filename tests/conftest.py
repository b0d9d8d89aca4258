"""Test configuration.

- Jitted functions compile in the call (``FNX_BACKGROUND_COMPILE=off``, also for the subprocesses tests
  start), so that every test of compiled code runs compiled code, and OpenBLAS keeps its thread count
  (``FNX_ADAPT_BLAS_THREADS=0``), and compile workers compile no kernels ahead (``FNX_COMPILE_AHEAD=0``);
  tests/test_tiers.py checks these features themselves.
- Run on several processes, each gives NumPy's OpenBLAS its share of the cores (``_share_the_cores``): its
  threads spin while they wait, so two processes of two threads each on two cores spent ~9x the CPU on the
  book units' small products (Ghatak L8-11 and Bourez 6c, at load ~7: 132.6 s against 14.6 s).
- Under CI (the CI environment variable set), hypothesis draws the same examples on every run, so a CI result
  can be reproduced exactly; locally it explores new examples each run.
- Run on several processes (pytest-xdist's ``-n auto --dist loadfile``, as the README's test command does),
  each test file runs whole in one of them, so that its tests share the functions it compiles once;
  test_tiers.py runs beside test_jit.py, whose compiled battery it reuses; the files that take longest
  (``_LONGEST_FIRST``) start first, so that no worker is left with one of them when the others are done
  (by test count, xdist's own order, test_fuzz.py's 3 tests started last). (Not ``--dist loadgroup`` with
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


def _share_the_cores() -> None:
    """In a pytest-xdist worker: OpenBLAS's threads set to this worker's share of the cores (at least one).
    Set at run time, not by ``OPENBLAS_NUM_THREADS``, so the processes tests start keep OpenBLAS's default."""
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    if workers > 1:
        from fnx.lower import openblas

        openblas.set_threads(max(1, (os.cpu_count() or 1) // workers))


_share_the_cores()

_BESIDE = {"tests/test_tiers.py": "tests/test_jit.py"}  # a file that reuses another's compiled functions
# the files that took longest (CPU and wall, benchmarks/suite_cpu.py on the full suite), longest first
_LONGEST_FIRST = ["tests/test_distributed_mpi.py", "tests/books/test_ghatak.py", "tests/books/test_bourez.py",
                  "tests/test_jit.py", "tests/test_complex.py", "tests/test_numpy_fft.py", "tests/test_cuda_jit.py",
                  "tests/test_distributed.py", "tests/test_complex_decompositions.py", "tests/test_jit_arrays.py",
                  "tests/test_fuzz.py", "tests/test_doctests.py"]


@pytest.hookimpl(optionalhook=True)  # a pytest-xdist hook
def pytest_xdist_make_scheduler(config, log):
    """``--dist loadfile``, with the files of ``_BESIDE`` in their partner's worker, ``_LONGEST_FIRST`` first."""
    if config.getvalue("dist") == "loadfile":
        from xdist.scheduler import LoadFileScheduling

        class FilesTogether(LoadFileScheduling):
            def _split_scope(self, nodeid: str) -> str:
                file = super()._split_scope(nodeid)
                return _BESIDE.get(file, file)

            def _assign_work_unit(self, node) -> None:
                longest = next((file for file in _LONGEST_FIRST if file in self.workqueue), None)
                if longest is not None:
                    self.workqueue.move_to_end(longest, last=False)  # the next file assigned
                super()._assign_work_unit(node)

        return FilesTogether(config, log)
