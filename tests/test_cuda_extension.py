"""User primitives on the GPU (``fnx.extend.def_primitive(cuda_kernel=...)``), on the simulated GPU: the
kernel runs on device buffers (one ``KernelStep``, nothing on the host) with the static parameters as scalars
and rank-0 operands as one-element arrays, covers outputs larger than its grid, and composes with fnx's own
kernels and with grad; a primitive without a CUDA kernel still runs (its CPU kernel, on the host)."""
import numba
import numpy as np

from cuda_setup import GPU

import fnx
import fnx.numpy as fnp
from fnx.extend import def_primitive
from fnx.lower.cuda.compile import CudaExecutable


def _scaled_shift(out, x, shift, scale):  # ``cuda`` is bound by fnx when it compiles the kernel
    for i in range(cuda.grid(1), out.size, cuda.gridsize(1)):  # noqa: F821
        out[i] = scale * x[i] + shift[0]


scaled_shift_p = def_primitive("test_scaled_shift", lambda x, shift, scale: x,
                               lambda x, shift, scale: scale * x + shift,
                               vjp=lambda ct, primals, out, scale: [scale * ct, fnp.sum(ct)],
                               cuda_kernel=_scaled_shift)


@numba.njit
def _root(x):
    return np.sqrt(x)


host_only_p = def_primitive("test_host_only", lambda x: x, lambda x: np.sqrt(x), cpu_kernel=_root)


def steps(f, *args) -> list[str]:
    closed = fnx.make_jaxpr(f)(*args)
    return [type(s).__name__ for s in CudaExecutable(closed.jaxpr, closed.consts, GPU).program.steps]


X = np.linspace(-2.0, 2.0, 1000).reshape(10, 100)  # more elements than the simulator's grid has threads


def test_the_users_kernel_runs_on_the_device_with_params_and_rank0_operands():
    f = fnx.jit(lambda x, s: scaled_shift_p.bind(x, s, scale=3.0))
    out = f(fnx.device_put(X, GPU), 0.5)
    assert out.device == GPU
    np.testing.assert_allclose(np.asarray(out), 3.0 * X + 0.5, rtol=1e-15)
    assert steps(lambda x, s: scaled_shift_p.bind(x, s, scale=3.0), X, 0.5) == ["KernelStep"]


def test_it_composes_with_fnx_kernels_and_grad():
    loss = lambda x, s: fnp.sum(fnp.tanh(scaled_shift_p.bind(x * 2.0, s, scale=3.0)))
    gx, gs = fnx.jit(fnx.grad(loss, argnums=(0, 1)))(fnx.device_put(X, GPU), 0.5)
    t = 1.0 - np.tanh(6.0 * X + 0.5) ** 2
    np.testing.assert_allclose(np.asarray(gx), 6.0 * t, rtol=1e-12, atol=1e-14)  # 1 - tanh^2 cancels
    np.testing.assert_allclose(float(np.asarray(gs)), t.sum(), rtol=1e-12)


def test_a_primitive_without_a_cuda_kernel_runs_on_the_host():
    out = fnx.jit(lambda x: host_only_p.bind(x) + 1.0)(fnx.device_put(np.abs(X), GPU))
    np.testing.assert_allclose(np.asarray(out), np.sqrt(np.abs(X)) + 1.0, rtol=1e-15)
    assert "HostStep" in steps(lambda x: host_only_p.bind(x), X)
