"""The primitives that the CUDA backend routes to the host, until each has a CUDA rule.

An equation (or a fused cluster holding one) with no CUDA rule runs as a ``steps.HostStep``: its inputs are
copied to the host, the CPU backend's code for it runs (compiled once, the first time), and its outputs are
copied to new device buffers. The cost per run is a device synchronization plus both transfers (inputs and
outputs over PCIe, ~25 GB/s on an H100 host: 4 MB of float32 each way ~0.3 ms), on top of the CPU kernel. The
list below is the documentation the registry test checks: every primitive has a CUDA rule or is here.
"""
from __future__ import annotations

from ...lax import collectives, debugging
from ...lax import elementwise as ew
from ...lax import linalg
from .rules import host_routed

# nextafter, cbrt (correctly rounded), erf_inv, digamma and population_count have no ``math`` function that
# Numba's CUDA target and its simulator both provide; a user's elementwise row (``fnx.extend``) has no CUDA
# expression either (``rules_elementwise`` marks it).
host_routed.mark(ew.nextafter_p, ew.cbrt_p, ew.erf_inv_p, ew.digamma_p, ew.population_count_p)
# The decompositions (LAPACK on the CPU: iterative eigen- and singular value solvers, Householder QR) want a
# cuSOLVER binding or kernels of their own.
host_routed.mark(linalg.eigh_p, linalg.svd_p, linalg.qr_p, linalg.slogdet_p)
# The collectives run over MPI from the host (the CPU backend's bound C functions): a device version wants
# CUDA-aware MPI or NCCL.
host_routed.mark(collectives.all_reduce_p, collectives.all_gather_p, collectives.reduce_scatter_p, collectives.bcast_p)
# A debug callback runs Python: on the host by nature, its operands copied there first.
host_routed.mark(debugging.debug_callback_p)
