"""Where a compiled program spends its time: ``Lowered.profile`` (fnx/transforms/jit.py).

The program is written again with a timer around every item of every generated function (a fused loop, a
kernel or BLAS call, a loop over a body: the items of ``fnx.lower.fusion.fuse``, labelled ``f<n>.<i>`` as in
``Lowered.as_text(optimized=True)``), compiled in memory, and run ``repeat`` times. Each timer adds its
elapsed nanoseconds and one run to a pair of counters (``fnx.lower.cpu.timers``). An item that calls another
function (a scan's body, a branch) includes that function's items: its *self* time leaves them out, and the
table is sorted by self time. Timers cost ~30 ns an item run, which the smallest items show.
"""
from __future__ import annotations

import time
import types
from dataclasses import dataclass

import numpy as np

from ..background import match_blas_threads
from .codegen import FunctionWriter
from .compile import Executable, prepare
from .program import lower_program
from .program_text import describe

_COUNTERS = "PROFILE_COUNTERS"  # the instrumented module's global: the address of its counters


class Profiler:
    """Writes the timing lines around each item while a module is written, and remembers the items."""

    def __init__(self) -> None:
        self.items: list[tuple[str, str]] = []  # slot -> (label, description)

    def start(self, w: FunctionWriter, item) -> tuple[str, int]:
        self.items.append((w.module.item, describe(item)))
        start = w.temp()
        w.line(f"{start} = pf.now()")
        return start, len(self.items) - 1

    def stop(self, w: FunctionWriter, started: tuple[str, int]) -> None:
        start, slot = started
        w.line(f"pf.add({_COUNTERS}, {slot}, {start})")


@dataclass
class ProfileRow:
    """One item of the program: its label (``f0.3``), what it computes, its time per call of the program
    (``total``, and ``self`` without the functions it calls), and how many times it ran per call."""
    label: str
    description: str
    total: float  # seconds per call of the program
    self: float
    runs: float


class Profile:
    """The items of a compiled program with their times (``rows``, most expensive first) and the program's
    measured time per call (``seconds``, the mean of ``repeat`` calls). ``str(profile)`` is the table."""

    def __init__(self, rows: list[ProfileRow], seconds: float, repeat: int):
        self.rows, self.seconds, self.repeat = rows, seconds, repeat

    def __str__(self) -> str:
        lines = [f"{'self ms':>9} {'total ms':>9} {'%':>5} {'runs':>6}  {'item':<7} what",
                 *[f"{r.self * 1e3:9.4f} {r.total * 1e3:9.4f} {100 * r.self / self.seconds:5.1f} {r.runs:6g}  "
                   f"{r.label:<7} {r.description}" for r in self.rows]]
        items = sum(r.self for r in self.rows)
        lines.append(f"program: {self.seconds * 1e3:.4f} ms per call (mean of {self.repeat}); its items "
                     f"{items * 1e3:.4f} ms; the rest is the call and its arguments and results")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<Profile: {len(self.rows)} items, {self.seconds * 1e3:.4f} ms per call>"


def profile(closed, donated: frozenset, args: list, repeat: int) -> Profile:
    """Profile the program ``closed`` (consts hoisted: ``args`` holds them first) on the flat NumPy ``args``."""
    profiler = Profiler()
    program = lower_program(closed, donated, profiler)
    counters = np.zeros(2 * len(profiler.items), np.int64)
    module = _module(program.source, counters.ctypes.data)
    executable = Executable(closed, getattr(module, program.entry), program.source)
    _run(executable, args, donated)  # compiles, and warms up
    match_blas_threads()  # as a jitted call does: OpenBLAS's threads matched to the load
    counters[:] = 0
    seconds = sum(_run(executable, args, donated) for _ in range(repeat)) / repeat
    return Profile(_rows(profiler.items, counters / repeat, program.module.parent), seconds, repeat)


def _module(source: str, address: int) -> types.ModuleType:
    """The instrumented module, run in memory (never cached), its counters' address set before Numba compiles
    (which freezes a global int into the code)."""
    prepare(source)
    module = types.ModuleType("fnx_profiled")
    exec(compile(source, "<fnx profiled program>", "exec"), module.__dict__)
    setattr(module, _COUNTERS, address)
    return module


def _run(executable: Executable, args: list, donated: frozenset) -> float:
    """Seconds of one call; donated inputs are copied first (outside the time), since the call may overwrite them."""
    values = [np.array(a) if i in donated else a for i, a in enumerate(args)]
    start = time.perf_counter()
    executable.call(*values)
    return time.perf_counter() - start


def _rows(items: list, counters: np.ndarray, parent: dict) -> list[ProfileRow]:
    """A row per item, self times leaving out the items of the functions each one calls."""
    totals = {label: counters[2 * slot] * 1e-9 for slot, (label, _) in enumerate(items)}
    inner = dict.fromkeys(totals, 0.0)
    for label, seconds in totals.items():
        caller = parent.get(label.split(".")[0])
        if caller:
            inner[caller] += seconds
    rows = [ProfileRow(label, what, totals[label], max(totals[label] - inner[label], 0.0), counters[2 * slot + 1])
            for slot, (label, what) in enumerate(items)]
    return sorted(rows, key=lambda r: -r.self)
