"""Backends: each turns a jaxpr into a compiled callable (``cpu``: Numba)."""
