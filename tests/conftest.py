"""Test configuration.

- Jitted functions compile in the call (``FNX_BACKGROUND_COMPILE=off``, also for the subprocesses tests
  start), so that every test of compiled code runs compiled code, and OpenBLAS keeps its thread count
  (``FNX_ADAPT_BLAS_THREADS=0``), and compile workers compile no kernels ahead (``FNX_COMPILE_AHEAD=0``);
  tests/test_tiers.py checks these features themselves.
- Under CI (the CI environment variable set), hypothesis draws the same examples on every run, so a CI result
  can be reproduced exactly; locally it explores new examples each run."""
import os

os.environ["FNX_BACKGROUND_COMPILE"] = "off"  # before fnx is imported: its settings read the environment
os.environ["FNX_ADAPT_BLAS_THREADS"] = "0"  # OpenBLAS's thread count does not follow the machine's load
os.environ["FNX_COMPILE_AHEAD"] = "0"  # compile workers compile no kernels ahead, on a CPU the tests share

from hypothesis import settings  # noqa: E402

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
