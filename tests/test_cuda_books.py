"""The books' GPU units (fnx/books, registered with ``gpu=True``) on the simulated GPU: Ketkar 10-1 (device
query), 10-2 (a float32 vector add, equal to the CPU's exactly) and 10-3 (a matmul in the transposed layout);
Buduma E33 (soft placement) and E34 (two towers summed on the CPU); Bourez 1.9 (the GPU program of x + y is
one fused kernel), 1.22 (transfers), 13b and 13d (the AXPB op's CUDA kernels through ``fnx.extend``), and
Bourez's device and floatX configuration. Quick sizes: the simulator runs every GPU thread in Python. Without
a GPU the runner reports them as needing one (tests/books/test_runner.py)."""
import numpy as np
import pytest

from cuda_setup import GPU

import fnx
import fnx.numpy as fnp
from fnx.books import RunContext, listings, run_listing

GPU_UNITS = [e for e in listings() if e.gpu]


def test_every_gpu_unit_is_here():
    assert {e.name for e in GPU_UNITS} >= {"ketkar:10-1", "ketkar:10-2", "ketkar:10-3", "buduma:E33", "buduma:E34",
                                          "bourez:1.9", "bourez:1.22", "bourez:13b", "bourez:13d"}


@pytest.mark.parametrize("entry", GPU_UNITS, ids=lambda e: e.name)
def test_gpu_unit(entry):
    outcome = run_listing(entry, RunContext(quick=True))
    assert outcome.ok and outcome.status != "needs GPU", f"{outcome.row()}\n{outcome.error}"


def test_bourez_device_and_float32_configuration():
    previous = fnx.config.default_float
    fnx.config.update("default_float", "float32")  # THEANO_FLAGS="device=cuda0,floatX=float32"
    try:
        x = fnx.device_put(fnp.linspace(0.0, 1.0, 5), "cuda0")
        y = fnx.jit(lambda x: x * 2.0 + 1.0)(x)
        assert x.device == GPU and y.device == GPU and y.dtype == np.float32
        np.testing.assert_allclose(np.asarray(y), np.linspace(1.0, 3.0, 5, dtype=np.float32))
    finally:
        fnx.config.update("default_float", previous)
