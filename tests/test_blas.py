"""The BLAS behind compiled matrix products (fnx/lower/cpu/blas.py): NumPy's OpenBLAS through names fnx binds,
or adapters over SciPy's BLAS when NumPy has none; results against NumPy for every transpose flag."""
import ctypes
import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numba import types

from fnx.lower.cpu import blas, kernels

TOLERANCE = {np.float32: 2e-5, np.float64: 1e-13}


@settings(max_examples=40, deadline=None)
@given(m=st.integers(0, 6), k=st.integers(0, 6), n=st.integers(0, 6), transpose_a=st.booleans(),
       transpose_b=st.booleans(), dtype=st.sampled_from([np.float32, np.float64]))
def test_float_matmul_matches_numpy_for_every_flag_and_empty_sizes(m, k, n, transpose_a, transpose_b, dtype):
    rng = np.random.default_rng(m * 49 + k * 7 + n)
    a, b = rng.standard_normal((m, k)).astype(dtype), rng.standard_normal((k, n)).astype(dtype)
    given_a = np.ascontiguousarray(a.T) if transpose_a else a
    given_b = np.ascontiguousarray(b.T) if transpose_b else b
    product = kernels.float_matmul(given_a, given_b, np.bool_(transpose_a), np.bool_(transpose_b))
    assert product.dtype == dtype and product.shape == (m, n)
    np.testing.assert_allclose(product, a.astype(np.float64) @ b, rtol=TOLERANCE[dtype], atol=TOLERANCE[dtype])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_batched_float_matmul_matches_numpy(dtype):
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((3, 4, 5)).astype(dtype), rng.standard_normal((3, 5, 2)).astype(dtype)
    np.testing.assert_allclose(kernels.batched_float_matmul(a, b), a.astype(np.float64) @ b, rtol=TOLERANCE[dtype])


def test_the_names_reach_numpys_openblas_when_numpy_has_it():
    expected = "numpy-openblas64" if blas.numpy_openblas() is not None else "scipy (numba np.dot)"
    assert blas.BACKEND == expected


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("trans_a", [blas.NO_TRANS, blas.TRANS])
@pytest.mark.parametrize("trans_b", [blas.NO_TRANS, blas.TRANS])
def test_the_adapter_over_scipys_blas_is_a_cblas_gemm(dtype, trans_a, trans_b):
    """C = alpha op(A) op(B) + beta C, called through its C address as compiled code would."""
    rng = np.random.default_rng(2)
    a, b, c = (rng.standard_normal(s).astype(dtype) for s in ((5, 7), (7, 3), (5, 3)))
    given_a = np.ascontiguousarray(a.T) if trans_a == blas.TRANS else a
    given_b = np.ascontiguousarray(b.T) if trans_b == blas.TRANS else b
    expected = 1.5 * (a.astype(np.float64) @ b) + 0.5 * c
    gemm = blas._adapter(types.float32 if dtype == np.float32 else types.float64)
    pointer = ctypes.POINTER(ctypes.c_float if dtype == np.float32 else ctypes.c_double)
    gemm.ctypes(blas.ROW_MAJOR, trans_a, trans_b, 5, 3, 7, dtype(1.5), given_a.ctypes.data_as(pointer),
                given_a.shape[1], given_b.ctypes.data_as(pointer), given_b.shape[1], dtype(0.5),
                c.ctypes.data_as(pointer), 3)
    np.testing.assert_allclose(c, expected, rtol=TOLERANCE[dtype], atol=TOLERANCE[dtype])


def test_without_numpys_openblas_the_same_cached_kernels_run_on_the_adapters():
    """A process whose NumPy has no bundled OpenBLAS (hidden here) binds the adapters; the kernels compiled
    and cached against NumPy's library load and give the same results."""
    script = (
        "import glob\n"
        "glob.glob = lambda pattern: []\n"
        "import numpy as np\n"
        "from fnx.lower.cpu import blas, kernels\n"
        "assert blas.BACKEND == 'scipy (numba np.dot)', blas.BACKEND\n"
        "rng = np.random.default_rng(0)\n"
        "for dtype in (np.float32, np.float64):\n"
        "    a, b = rng.standard_normal((6, 4)).astype(dtype), rng.standard_normal((6, 3)).astype(dtype)\n"
        "    product = kernels.float_matmul(a, b, np.bool_(True), np.bool_(False))\n"
        "    np.testing.assert_allclose(product, a.T.astype(np.float64) @ b, rtol=2e-5)\n"
        "print('ok')\n")
    kernels.float_matmul(np.ones((6, 4), np.float32), np.ones((6, 3), np.float32), np.bool_(True), np.bool_(False))
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=dict(os.environ))
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-3000:]
