"""The process's memory policy: keep freed memory for reuse instead of returning it to the OS.

On this kind of machine (a VM), touching freshly mapped memory costs a page fault per 4 KiB page, several
times slower than reusing memory the process already has: a jitted function returning a 51 MB array ran
3x faster once glibc kept freed memory (benchmarks/README.md). glibc serves big allocations with ``mmap``
and unmaps them when freed, and returns freed heap memory above 128 KiB to the OS; ``keep_freed_memory``
turns both off, up to a limit (``fnx.config.keep_freed_memory``, docs/settings.md).

Importing fnx changes nothing: the policy is applied when fnx first loads compiled code
(``apply_policy``, called by ``fnx/lower/cpu/compile.py``), since jitted functions are what gains (6.9x on the per-example
gradients, 1.26x on the epoch scan: ``benchmarks/keep_freed_memory.py``); a process that only uses fnx
eagerly keeps glibc's own settings.
"""
from __future__ import annotations

import ctypes
import platform

_M_TRIM_THRESHOLD, _M_MMAP_MAX = -1, -4  # mallopt parameters, from glibc's malloc.h
_GLIBC_DEFAULTS = {_M_TRIM_THRESHOLD: 128 * 1024, _M_MMAP_MAX: 65536}


def keep_freed_memory(limit: int) -> bool:
    """Have glibc's malloc serve every allocation from its heap and keep up to ``limit`` bytes of freed memory
    (``limit`` 0: glibc's default values, and the kept memory is returned). Returns False where the C library
    is not glibc (nothing changes).

    >>> keep_freed_memory(1 << 30)  # doctest: +SKIP
    True
    """
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    libc = ctypes.CDLL(None)
    values = {_M_TRIM_THRESHOLD: min(limit, 2**31 - 1), _M_MMAP_MAX: 0} if limit > 0 else _GLIBC_DEFAULTS
    applied = all(libc.mallopt(parameter, value) == 1 for parameter, value in values.items())
    if limit == 0:
        libc.malloc_trim(0)  # and give back what was kept
    return applied


_in_force: int | None = None  # the limit applied by ``apply_policy``; None until fnx first needed it


def apply_policy() -> None:
    """Apply ``fnx.config.keep_freed_memory`` the first time fnx needs it (a limit of 0: nothing to change)."""
    global _in_force
    if _in_force is None:
        from .config import config
        if config.keep_freed_memory > 0:
            keep_freed_memory(config.keep_freed_memory)
        _in_force = config.keep_freed_memory


def setting_changed() -> None:
    """``fnx.config.update`` set the limit: apply it now if the policy is in force, else when first needed."""
    global _in_force
    if _in_force is not None:
        from .config import config
        keep_freed_memory(config.keep_freed_memory)
        _in_force = config.keep_freed_memory
