"""The Numba-CUDA backend: jaxprs run as CUDA kernels launched from the host (docs/design.md, "The CUDA
backend"). ``compile`` (the entry points: run a traced function on a GPU, place an array there), ``program``
(the host-side plan of one jaxpr, its liveness), ``steps`` (what a plan is made of), ``kernel_writer`` (the
kernels of fused clusters), ``rules`` and ``rules_<family>`` (a rule per primitive, as on the CPU), ``host``
(the primitives routed to the CPU backend), ``runtime`` (numba.cuda: devices, buffer pools, kernels)."""
