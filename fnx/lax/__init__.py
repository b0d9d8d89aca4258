"""fnx.lax: the explicit primitives that fnx.numpy and the layers are built from.

Each function binds one primitive (see the ``*_p`` objects in the submodules). Operands must already share a
dtype; Python scalars take the dtype of the array operand.
"""
from __future__ import annotations

from .calls import custom_jvp_call_p, custom_vjp_call_p, jit_p  # noqa: F401
from .control_flow import cond, cond_p, fori_loop, scan, scan_p, switch, while_loop, while_p  # noqa: F401
from .convolution import (conv, conv_general_dilated, conv_general_dilated_p, reduce_window,  # noqa: F401
                          reduce_window_p, select_and_gather_add_p, select_and_scatter_add_p)
from .elementwise import *  # noqa: F401,F403
from .elementwise import table as elementwise_table  # noqa: F401
from .indexing import gather, gather_p, scatter, scatter_add, scatter_p  # noqa: F401
from .linalg import (cholesky_p, det_p, dot, dot_general, dot_general_p, eigh, eigh_p, inv_p, qr,  # noqa: F401
                     qr_p, slogdet, slogdet_p, solve_p, svd, svd_p)
from .reductions import *  # noqa: F401,F403
from .sorting import sort, sort_key_val, sort_p  # noqa: F401
from .structural import *  # noqa: F401,F403
from .debugging import debug_callback, debug_callback_p  # noqa: F401
from .collectives import all_gather, all_reduce, bcast, pmax, pmean, pmin, psum, reduce_scatter  # noqa: F401
from .precision import Precision, check_precision  # noqa: F401
from .scans import associative_scan, map as _map  # noqa: F401


def __getattr__(name: str):
    """``lax.map``, looked up here rather than bound as a global, which would hide the builtin ``map`` from code
    that star-imports this package."""
    if name == "map":
        return _map
    raise AttributeError(f"module 'fnx.lax' has no attribute {name!r}")
