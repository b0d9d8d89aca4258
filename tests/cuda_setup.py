"""Shared by the CUDA tests: skip without numba-cuda, and run Numba's CUDA simulator (NUMBA_ENABLE_CUDASIM=1)
even when Numba was imported before with the setting off (other test modules compile CPU code first)."""
import importlib.util
import os

import pytest

if importlib.util.find_spec("numba_cuda") is None:
    pytest.skip("numba-cuda is not installed (pip install 'fnx[cuda]')", allow_module_level=True)

if os.environ.get("NUMBA_ENABLE_CUDASIM") != "1":
    os.environ["NUMBA_ENABLE_CUDASIM"] = "1"
    import numba
    numba.config.reload_config()

import fnx  # noqa: E402

GPU = fnx.devices("gpu")[0]
