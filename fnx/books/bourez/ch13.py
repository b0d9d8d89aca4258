"""Bourez, chapter 13 (extending Theano with new ops): the AXPB op ``a * x + b`` as an fnx primitive, first
with NumPy and a gradient rule (the book's Python op), then with a Numba kernel that jit calls (its C op), and
with CUDA kernels for both (its GPU ops; ``def_primitive(cuda_kernel=...)``), run on a GPU or the simulator.

Theano's ``__props__`` (a and b make the op's identity) are the primitive's static parameters: two binds
with equal a and b are the same operation, and the parameters are printed in the program."""
from __future__ import annotations

from typing import TYPE_CHECKING

import numba
import numpy as np

import fnx
import fnx.numpy as fnp
from fnx.extend import ShapedArray, def_primitive

from ..checks import Value
from ..registry import listing
from .ch01 import gpu_plan

if TYPE_CHECKING:  # fnx binds ``cuda`` in the CUDA kernels' globals when it compiles them (fnx.extend)
    from numba import cuda



def _same(x: ShapedArray, a: float, b: float) -> ShapedArray:
    """``infer_shape``: the output is shaped and typed as x."""
    return x


def _axpb_gpu(out, x, a, b):
    """The book's pygpu elementwise kernel ``c = a * x + b``, a and b being the op's parameters (scalars here,
    after the flat output and operand; a grid-stride loop covers the output)."""
    for i in range(cuda.grid(1), out.size, cuda.gridsize(1)):
        out[i] = a * x[i] + b


axpb_p = def_primitive("bourez_axpb", _same, lambda x, a, b: a * x + b,
                       jvp=lambda primals, tangents, a, b: (axpb_p.bind(primals[0], a=a, b=b), a * tangents[0]),
                       vjp=lambda ct, primals, out, a, b: [a * ct], cuda_kernel=_axpb_gpu)


def axpb(x, a: float, b: float):
    """``a * x + b`` through the ``bourez_axpb`` primitive (a and b static, as the book's ``__props__``)."""
    return axpb_p.bind(x, a=a, b=b)


@listing("bourez", "13a", "The AXPB op in Python: values, gradient, composition, identity", kind="exact",
         expect={"matches_4x_plus_5": Value(True), "grad_of_sum": Value(np.full((3, 2), 4.0)),
                 "composition_is_12x_plus_5": Value(True), "printed": Value(True)})
def listing_13a():
    """``AXPBOp(4, 5)`` on a random 3x2 matrix is 4x + 5; the gradient of its sum is 4 everywhere (only the
    constant survives in the gradient program, as the book's optimized debugprint shows); AXPB(3, -10) after
    AXPB(4, 5) is 12x + 5; the program prints the op with its parameters (``AXPBOp{a=4, b=5}``)."""
    x = np.random.default_rng(13).random((3, 2))
    program = str(fnx.make_jaxpr(lambda v: axpb(v, 4.0, 5.0))(x))
    return {"matches_4x_plus_5": bool(np.allclose(axpb(x, 4.0, 5.0), 4 * x + 5, rtol=1e-15)),
            "grad_of_sum": fnx.grad(lambda v: fnp.sum(axpb(v, 4.0, 5.0)))(x),
            "composition_is_12x_plus_5": bool(np.allclose(axpb(axpb(x, 4.0, 5.0), 3.0, -10.0), 12 * x + 5,
                                                          rtol=1e-14)),
            "printed": "bourez_axpb[a=4.0, b=5.0]" in program}


@numba.njit
def _axpb_kernel(x, a, b):
    return a * x + b  # Numba fuses the array expression into one loop, as the book's C loop does by hand


def _kernel_eval(x: ShapedArray, a: ShapedArray, b: ShapedArray) -> ShapedArray:
    return x


def _axpb_cuda_kernel(out, x, a, b):
    """The book's libgpuarray CUDA kernel: a and b are operands here (one-element arrays on the device)."""
    for i in range(cuda.grid(1), out.size, cuda.gridsize(1)):
        out[i] = a[0] * x[i] + b[0]


axpb_kernel_p = def_primitive("bourez_axpb_kernel", _kernel_eval, lambda x, a, b: a * x + b,
                              vjp=lambda ct, primals, out: [primals[1] * ct, None, None],
                              cpu_kernel=_axpb_kernel, cuda_kernel=_axpb_cuda_kernel)


@listing("bourez", "13c", "The AXPB op with a compiled CPU kernel", kind="exact",
         expect={"jit_matches_numpy": Value(True), "grad_of_sum": Value(np.full((3, 2), 4.0))})
def listing_13c():
    """The book's C/CPU op (``c_code`` over the NumPy C-API) becomes a Numba kernel the compiled program calls:
    under ``jit`` it gives 4x + 5 like NumPy, and its gradient rule gives 4."""
    x = np.random.default_rng(14).random((3, 2))
    compiled = fnx.jit(lambda v, a, b: axpb_kernel_p.bind(v, a, b))
    grad = fnx.grad(lambda v: fnp.sum(axpb_kernel_p.bind(v, 4.0, 5.0)))(x)
    return {"jit_matches_numpy": bool(np.allclose(compiled(x, 4.0, 5.0), 4 * x + 5, rtol=1e-15)),
            "grad_of_sum": grad}


@listing("bourez", "13b", "The AXPB op on the GPU from Python (pygpu)", kind="exact", gpu=True,
         expect={"matches_4x_plus_5": Value(True), "on_gpu": Value(True), "plan": Value(["KernelStep"]),
                 "grad_of_sum": Value(np.full((3, 2), 4.0, np.float32))})
def listing_13b():
    """The book's ``GpuAXPBOp`` runs ``c = a * x + b`` as a pygpu elementwise kernel on the GPU
    (``debugprint`` shows ``GpuAXPBOp{a=4, b=5, context_name='dev0'}`` between the transfers). fnx: the
    ``bourez_axpb`` primitive of 13a with a CUDA kernel (``def_primitive(cuda_kernel=...)``, a and b its
    static parameters): on device inputs ``jit`` launches that kernel (one ``KernelStep``, no host step), and
    its gradient rule runs on the device as well."""
    x = np.random.default_rng(15).random((3, 2)).astype(np.float32)
    device_x = fnx.device_put(x, "gpu")
    result = fnx.jit(lambda v: axpb(v, 4.0, 5.0))(device_x)
    grad = fnx.jit(fnx.grad(lambda v: fnp.sum(axpb(v, 4.0, 5.0))))(device_x)
    return {"matches_4x_plus_5": bool(np.allclose(np.asarray(result), 4 * x + 5, rtol=1e-6)),
            "on_gpu": result.device.platform == "gpu", "plan": gpu_plan(lambda v: axpb(v, 4.0, 5.0), x),
            "grad_of_sum": np.asarray(grad)}


@listing("bourez", "13d", "The AXPB op as a C/CUDA kernel", kind="exact", gpu=True,
         expect={"matches_4x_plus_5": Value(True), "plan": Value(["KernelStep"])})
def listing_13d():
    """The book's C/GPU op writes a CUDA kernel (``gpu_kernels``, ``c_code`` launching it through
    libgpuarray) for ``a * x + b``. fnx: 13c's ``bourez_axpb_kernel`` primitive, whose a and b are operands,
    with a Numba CUDA kernel: under ``jit`` on the GPU it is one launch (``KernelStep``) reading a and b from
    device memory, and gives 4x + 5 like NumPy."""
    x = np.random.default_rng(16).random((3, 2)).astype(np.float32)
    a, b = np.float32(4.0), np.float32(5.0)
    result = fnx.jit(lambda v, a, b: axpb_kernel_p.bind(v, a, b), device="gpu")(x, a, b)
    return {"matches_4x_plus_5": bool(np.allclose(np.asarray(result), 4 * x + 5, rtol=1e-6)),
            "plan": gpu_plan(lambda v, a, b: axpb_kernel_p.bind(v, a, b), x, a, b)}
