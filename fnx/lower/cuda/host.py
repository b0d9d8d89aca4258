"""The primitives that the CUDA backend routes to the host, until each has a CUDA rule.

An equation (or a fused cluster holding one) with no CUDA rule runs as a ``steps.HostStep``: its inputs are
copied to the host, the CPU backend's code for it runs (compiled once, the first time), and its outputs are
copied to new device buffers. The cost per run is a device synchronization plus both transfers (inputs and
outputs over PCIe, ~25 GB/s on an H100 host: 4 MB of float32 each way ~0.3 ms), on top of the CPU kernel. The
list below is the documentation the registry test checks: every primitive has a CUDA rule or is here.
"""
from __future__ import annotations

from ...lax import linalg
from .rules import host_routed

host_routed.mark(
    # linear algebra other than the matrix product (batched, small matrices: LU and Cholesky per matrix)
    linalg.inv_p, linalg.solve_p, linalg.det_p, linalg.cholesky_p,
)
