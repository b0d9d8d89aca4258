"""The Numba CPU backend: ``compile_jaxpr(closed_jaxpr) -> Executable``."""
from .compile import Executable, compile_jaxpr  # noqa: F401
from ..._memory import apply_policy

apply_policy()  # compiled code is what needs the memory policy: apply it now, not when fnx is imported
