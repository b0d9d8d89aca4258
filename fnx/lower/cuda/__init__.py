"""The Numba-CUDA backend: jaxprs run as CUDA kernels launched from the host (docs/design.md, "The CUDA
backend"). ``runtime`` (devices, buffers and their pool, launches), ``kernel_writer`` (kernel sources),
``program`` (the host-side plan of one jaxpr), ``rules_<family>`` (a rule per primitive), ``host`` (the
primitives routed to the CPU backend)."""
