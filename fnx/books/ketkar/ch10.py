"""Ketkar, chapter 10 (GPUs with PyOpenCL): the device query, a vector addition and a naive matrix product,
run by fnx's CUDA backend (a GPU, or Numba's simulator with ``NUMBA_ENABLE_CUDASIM=1``). The OpenCL kernels
become jitted functions whose inputs live on the GPU: fnx writes and launches the kernels.

Sizes: the book's (5,000,000 elements, 500x500) on a real GPU; quick runs and the simulator, which runs each
GPU thread as a Python thread, use 50,000 elements and 16x16."""
from __future__ import annotations

import numpy as np

import fnx
from fnx.lower.devices import properties

from ..checks import Value
from ..registry import RunContext, listing


def _small(ctx: RunContext) -> bool:
    from fnx.lower.cuda.runtime import SIMULATED
    return ctx.quick or SIMULATED


@listing("ketkar", "10-1", "Enumerate OpenCL platforms and devices", kind="exact", gpu=True,
         expect={"platforms": Value(["cpu", "gpu"]), "gpu_fields_known": Value(True)})
def listing_10_1():
    """Listing 10-1 walks OpenCL's platforms and devices and prints each one's name, type, clock, compute
    units and memory; those are machine-specific. fnx's answer is ``fnx.devices()`` (the CPU, then each GPU)
    and ``properties(device)``: name, compute capability, multiprocessors, (free, total) memory."""
    devices = fnx.devices()
    gpu = properties(devices[1])
    return {"platforms": [d.platform for d in devices[:2]],
            "gpu_fields_known": all(k in gpu for k in ("name", "compute_capability", "multiprocessors", "memory")),
            "gpu_name": gpu["name"]}


@listing("ketkar", "10-2", "Vector addition kernel: GPU equals CPU", kind="exact", gpu=True,
         expect={"norm_of_difference": Value(0.0), "on_gpu": Value(True)})
def listing_10_2(ctx: RunContext):
    """Listing 10-2 adds two float32 vectors of 5,000,000 uniform values on the GPU and prints ``Norm of
    Difference 0.0`` against NumPy's sum (and two machine-specific times). A float32 addition is correctly
    rounded on both devices, so the norm is exactly 0."""
    n = 50_000 if _small(ctx) else 5_000_000
    rng = np.random.RandomState(10)
    v1, v2 = rng.random_sample(n).astype(np.float32), rng.random_sample(n).astype(np.float32)
    gpu_result = fnx.jit(lambda a, b: a + b)(fnx.device_put(v1, "gpu"), fnx.device_put(v2, "gpu"))
    return {"norm_of_difference": float(np.linalg.norm(np.asarray(gpu_result) - (v1 + v2))),
            "on_gpu": gpu_result.device.platform == "gpu"}


@listing("ketkar", "10-3", "Naive matrix-product kernel", kind="tolerance", gpu=True,
         expect={"matches_numpy_transposed": Value(True)})
def listing_10_3(ctx: RunContext):
    """Listing 10-3's kernel writes ``sum_k m1[i, k] m2[k, j]`` at ``result[i + size * j]``: the product in
    the transposed layout, hence its comparison with ``np.dot(m1, m2).T``. The book printed listing 10-2's
    three lines again (a copy); a float32 product summed in another order than BLAS's agrees to ~1e-6
    relative, so it is checked with ``allclose(rtol=1e-4)``, not a zero norm."""
    size = 16 if _small(ctx) else 500
    rng = np.random.RandomState(11)
    m1, m2 = rng.random_sample((size, size)).astype(np.float32), rng.random_sample((size, size)).astype(np.float32)
    result = fnx.jit(lambda a, b: (a @ b).T, device="gpu")(m1, m2)
    return {"matches_numpy_transposed": bool(np.allclose(np.asarray(result), np.dot(m1, m2).T, rtol=1e-4))}
