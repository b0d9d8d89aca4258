"""CPU rule of the ``fft`` primitive: the operand as rows (leading axes flattened), transformed by the
compiled FFTs of ``kernels_fft``."""
from __future__ import annotations

import math

from ...core.ir import Eqn
from ...lax.fft import fft_p
from .codegen import FunctionWriter, cpu_rule, np_dtype
from .operands import as_shape, bool_arg, int_arg, reshaped_result, zeros_if_empty


@cpu_rule(fft_p)
def _fft(w: FunctionWriter, eqn: Eqn) -> None:
    (x,), (out,) = eqn.invars, eqn.outvars
    if zeros_if_empty(w, out):
        return
    shape = x.aval.shape
    rows = as_shape(w, x, (math.prod(shape[:-1]), shape[-1]))
    fft_type, n = eqn.params["fft_type"], eqn.params["n"]
    if fft_type in ("fft", "ifft"):
        call = f"kf.fft_rows({rows}, {bool_arg(w, fft_type == 'ifft')})"
    else:
        call = f"kf.{fft_type}_rows({rows}, {int_arg(w, n)}, {w.module.constant(np_dtype(out.aval.dtype))})"
    reshaped_result(w, out, call)
