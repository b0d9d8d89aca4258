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

if not fnx.devices("gpu"):  # numba.cuda was imported before the simulator was switched on, and finds no GPU
    pytest.skip("no GPU, simulated or real: run with NUMBA_ENABLE_CUDASIM=1", allow_module_level=True)
GPU = fnx.devices("gpu")[0]
