"""Bourez, chapter 13 (extending Theano with new ops): the AXPB op ``a * x + b`` as an fnx primitive, first
with NumPy and a gradient rule (the book's Python op), then with a Numba kernel that jit calls (its C op).

Theano's ``__props__`` (a and b make the op's identity) are the primitive's static parameters: two binds
with equal a and b are the same operation, and the parameters are printed in the program."""
from __future__ import annotations

import numba
import numpy as np

import fnx
import fnx.numpy as fnp
from fnx.extend import ShapedArray, def_primitive

from ..checks import Value
from ..registry import listing, pending

pending("bourez", "13b", "The AXPB op on the GPU from Python (pygpu)", ("cuda", "primlower"), __name__)
pending("bourez", "13d", "The AXPB op as a C/CUDA kernel", ("cuda", "primlower"), __name__)


def _same(x: ShapedArray, a: float, b: float) -> ShapedArray:
    """``infer_shape``: the output is shaped and typed as x."""
    return x


axpb_p = def_primitive("bourez_axpb", _same, lambda x, a, b: a * x + b,
                       jvp=lambda primals, tangents, a, b: (axpb_p.bind(primals[0], a=a, b=b), a * tangents[0]),
                       vjp=lambda ct, primals, out, a, b: [a * ct])


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


axpb_kernel_p = def_primitive("bourez_axpb_kernel", _kernel_eval, lambda x, a, b: a * x + b,
                              vjp=lambda ct, primals, out: [primals[1] * ct, None, None],
                              cpu_kernel=_axpb_kernel)


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
