"""The Numba CPU backend: ``compile_jaxpr(closed_jaxpr) -> Executable``."""
from .compile import Executable, compile_jaxpr  # noqa: F401
