"""The Numba CPU backend: ``compile.compile_jaxpr(closed_jaxpr) -> Executable`` (importing ``compile`` imports
Numba, so this package imports nothing by itself)."""
