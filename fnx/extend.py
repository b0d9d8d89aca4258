"""Adding a primitive to fnx: the public extension API.

A primitive defined here works under ``jit``, ``grad``, ``vmap`` and ``scan`` like a built-in one, from the
rules given with it (docs/extending.md walks through an example):

* ``def_elementwise``: an elementwise operation given by its NumPy implementation, its partial derivatives and
  the expression of one element in compiled code. It becomes a row of fnx's elementwise table, so it fuses into
  the loops of the operations around it, and its jvp, vjp and batching rules come from the row.
* ``def_primitive``: any operation, given by its shape rule and NumPy implementation, and optionally its jvp,
  vjp and batching rules, a Numba CPU kernel and a Numba CUDA kernel. A rule left out is a clear error when a transform needs it.

Both mark the primitive as an extension (``Primitive.extension``). The rule conventions are those of fnx's own rules (see ``fnx.transforms.autodiff.engine`` and
``fnx.transforms.batching.engine``); ``fnx.rules_of(name)`` lists what is registered.
"""
from __future__ import annotations

from typing import Callable, Sequence

from .core.avals import ShapedArray
from .core.primitive import Primitive, def_primitive as _define
from .lax.elementwise import ANY, FLOAT, INEXACT, INT, INT_BOOL, NUMBER, NUMERIC, REAL, nary
from .lower.cpu import user_kernels
from .lower.cpu.codegen import cpu_rules
from .lower.cuda import user_kernels as user_cuda_kernels
from .transforms.autodiff.engine import jvp_rules, vjp_rules
from .transforms.batching.engine import batching_rules

__all__ = ["ANY", "FLOAT", "INEXACT", "INT", "INT_BOOL", "NUMBER", "NUMERIC", "REAL", "ShapedArray", "def_elementwise",
           "def_primitive"]


def def_elementwise(name: str, arity: int, numpy: Callable, partials: Sequence[Callable | None] | None, cpu: str,
                    kinds: str = FLOAT, bool_out: bool = False) -> Primitive:
    """Define an elementwise primitive of ``arity`` operands (of one dtype; of one shape, or rank 0).

    ``numpy(*operands)`` computes it eagerly; ``partials[i](out, *operands)`` is d out / d operand i, written with
    fnx functions (None: zero); ``partials=None`` makes it not differentiable. ``cpu`` is the expression of one
    element in compiled code, ``{0}``, ``{1}``, ... standing for the operands' elements (NumPy's scalar
    functions are ``np.``). ``kinds``: the accepted dtype kinds (``FLOAT``, ``NUMERIC``, ``ANY``, ...;
    ``INEXACT``, ``NUMBER`` and ``ANY`` include complexes, the others not).

    >>> import fnx, fnx.numpy as fnp
    >>> from fnx.extend import def_elementwise
    >>> axpb_p = def_elementwise("axpb_doc", 3, lambda x, a, b: a * x + b,
    ...                          [lambda out, x, a, b: a, lambda out, x, a, b: x, lambda out, x, a, b: 1.0],
    ...                          cpu="{1} * {0} + {2}")
    >>> fnx.grad(lambda x: fnp.sum(axpb_p.bind(x, 2.0, 1.0)))(fnp.ones(3))
    Array([2., 2., 2.], dtype=float64)
    """
    prim = nary(name, arity, numpy, kinds, None if partials is None else tuple(partials), cpu, bool_out=bool_out)
    prim.extension = True
    return prim


def def_primitive(name: str, abstract_eval: Callable, impl: Callable, *, jvp: Callable | None = None,
                  vjp: Callable | None = None, batching: Callable | None = None, cpu_kernel=None,
                  cuda_kernel: Callable | None = None) -> Primitive:
    """Define a primitive with one output from its rules; those left out are errors when a transform needs them.

    * ``abstract_eval(*avals, **params) -> ShapedArray``: the output's shape and dtype (``avals`` are
      ``ShapedArray``; raise ``fnx.core.errors.FnxTypeError`` for bad operands).
    * ``impl(*numpy_arrays, **params)``: the eager result, with NumPy.
    * ``jvp(primals, tangents, **params) -> (out, tangent_out)``, written with fnx functions.
    * ``vjp(cotangent, primals, out, **params) -> [cotangent of each operand, or None]``.
    * ``batching(operands, batch_axes, *, axis_size, **params) -> (out, out_batch_axis)``: a batch axis is an
      int or None (operand not batched).
    * ``cpu_kernel``: a ``numba.njit`` function of the operands (rank-0 ones as scalars) returning the output
      (a scalar for a rank-0 output), called from the compiled code of ``jit``.
    * ``cuda_kernel``: a Python function ``kernel(out, *operands, *params)`` written for ``numba.cuda``, run
      when ``jit`` places the program on a GPU (``fnx.device_put(x, "gpu")``, ``jit(f, device="gpu")``). The
      arrays come flat (1-d; a rank-0 operand as a 1-element array), the static parameters follow as scalars
      in the order of their names, and the grid may be smaller than ``out``: loop
      ``for i in range(cuda.grid(1), out.size, cuda.gridsize(1))``. fnx compiles it with ``numba.cuda.jit``
      at its first launch, binding ``cuda`` (numba.cuda) in its globals: its module need not import it. Without it, the CUDA backend runs the primitive on the host (its CPU code).

    >>> import numpy as np, fnx
    >>> from fnx.extend import def_primitive
    >>> cube_p = def_primitive("cube_doc", lambda x: x, lambda x: x ** 3,
    ...                        jvp=lambda p, t: (cube_p.bind(p[0]), 3.0 * p[0] ** 2 * t[0]),
    ...                        vjp=lambda ct, p, out: [3.0 * p[0] ** 2 * ct])
    >>> float(fnx.grad(lambda x: cube_p.bind(x))(2.0))
    12.0
    """
    prim = _define(name, abstract_eval, impl, extension=True)
    for table, rule in ((jvp_rules, jvp), (vjp_rules, vjp), (batching_rules, batching)):
        if rule is not None:
            table[prim] = rule
    if cpu_kernel is not None:
        cpu_rules[prim] = user_kernels.register(prim, cpu_kernel)
    if cuda_kernel is not None:
        user_cuda_kernels.register(prim, cuda_kernel)
    return prim
