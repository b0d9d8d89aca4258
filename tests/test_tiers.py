"""Tiered execution: a jitted function's first calls run its jaxpr on NumPy while the compiled code is made in
the background, then the compiled code takes over, with the same results.

The agreement tests evaluate both tiers of one jitted function directly (``TieredCode``): the jit battery of
tests/test_jit.py and every benchmark workload. The background tests run a few small functions through a
worker process and a thread, as a user's program would, and break the worker on purpose.
"""
from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import fnx
import fnx.numpy as fnp
from fnx.core.errors import FnxTypeError
from fnx.core.tree import tree_flatten, tree_unflatten
from fnx.lower import background, openblas
from fnx.transforms import jit as jit_module
from helpers import assert_same

import test_jit as battery  # its jitted functions, compiled once for both files

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))
import worker  # noqa: E402
import workloads  # noqa: E402


def both_tiers(jitted, *args) -> tuple:
    """``jitted(*args)`` computed by its first tier (NumPy) and by its compiled code, as NumPy pytrees."""
    jitted(*args)  # traces (and, with background_compile "off", compiles)
    entry = next(e for e in jitted._entries.values())
    values = [np.asarray(c) for c in entry.consts] + [np.asarray(x) for x in tree_flatten(list(args))[0]]
    code = entry.code
    first = code._first_tier(*values)
    compiled = code.compiled().call(*values)
    as_tree = lambda outs: tree_unflatten(entry.out_tree, [np.asarray(o) for o in outs])  # noqa: E731
    return as_tree(first), as_tree(compiled)


def assert_tiers_agree(first, compiled) -> None:
    """Equal to float rounding: the compiled code's transcendentals are within a few ulp of NumPy's
    (docs/vecmath.md) and its fused loops add in another order."""
    for a, b in zip(tree_flatten(first)[0], tree_flatten(compiled)[0]):
        tol = dict(rtol=2e-6, atol=1e-7) if a.dtype == np.float32 else dict(rtol=1e-12, atol=1e-13)
        assert_same(a, b, **tol)


_ELEMENTWISE_ARGS = (battery.RNG.uniform(0.1, 0.9, 6).astype(np.float32), battery.RNG.uniform(0.1, 0.9, 6),
                     np.float64(0.3), np.array([-7, -2, 0, 3, 9, 100], np.int32),
                     np.array([0, 1, 7, 128, 255, 3], np.uint8), np.array([True, False, True, False, True, False]))
BATTERY = {"elementwise_and_reductions": (battery.ELEMENTWISE, (battery.X, battery.I)),
           "shapes_and_products": (battery.SHAPES, (battery.X, battery.Y)),
           "every_elementwise_primitive": (battery.ELEMENTWISE_PRIMITIVES, _ELEMENTWISE_ARGS),
           "scan": (fnx.jit(battery.rnn_loss), (battery.W, battery.XS)),
           "grad_of_scan": (fnx.jit(fnx.grad(battery.rnn_loss)), (battery.W, battery.XS)),
           "custom_rules_nested_jit": (fnx.jit(battery.the_remaining_primitives), (battery.X, battery.I))}


@pytest.mark.parametrize("name", BATTERY)
def test_the_tiers_agree_on_the_jit_battery(name):
    jitted, args = BATTERY[name]
    with np.errstate(all="ignore"):
        assert_tiers_agree(*both_tiers(jitted, *args))


@pytest.mark.parametrize("workload", workloads.WORKLOADS, ids=lambda w: w.name)
def test_the_tiers_agree_on_every_benchmark_workload(workload):
    F = worker.load_framework("fnx", None)
    assert_tiers_agree(*both_tiers(workload.traced(F), *workload.inputs(True)))


def _poly(x):
    return fnp.sum(fnp.tanh(x) * x + 1.5, axis=0)


@pytest.mark.parametrize("mode", ["process", "thread"])
def test_first_calls_run_on_numpy_then_the_compiled_code_takes_over(mode, tmp_path, monkeypatch):
    monkeypatch.setattr(fnx.config, "cache_dir", str(tmp_path))
    monkeypatch.setattr(fnx.config, "background_compile", mode)
    answers = []  # what the worker said: it must have compiled, not left the work to this process
    compile_in_worker = background._compile_in_worker
    monkeypatch.setattr(background, "_compile_in_worker", lambda *a, **k: answers.append(compile_in_worker(*a, **k)))
    f = fnx.jit(_poly)
    x = np.linspace(-2, 2, 12).reshape(4, 3)
    expected = np.sum(np.tanh(x) * x + 1.5, axis=0)
    for _ in range(2):  # the second call starts the compile
        assert_same(np.asarray(f(x)), expected, rtol=1e-12)  # the first tier, or already the compiled code
    assert fnx.block_until_compiled(timeout=600)
    assert_same(np.asarray(f(x)), expected, rtol=1e-12)
    entry = next(iter(f._entries.values()))  # from here on, the fast path calls the Numba dispatcher
    assert entry.code.executable is not None and entry.call == entry.code.executable.call
    assert answers == ([None] if mode == "process" else [])


def test_a_failed_background_compile_is_reported_by_the_next_call(monkeypatch):
    monkeypatch.setattr(fnx.config, "background_compile", "thread")
    cube_p = fnx.def_primitive("test_tiers_cube", lambda x: x, lambda x: x ** 3)  # no CPU rule
    f = fnx.jit(lambda x: cube_p.bind(x) + 1.0)
    for _ in range(2):
        assert np.asarray(f(np.full(3, 2.0))).tolist() == [9.0] * 3  # the first tier needs no CPU rule
    assert fnx.block_until_compiled(timeout=600)
    with pytest.raises(FnxTypeError, match="test_tiers_cube.*no CPU lowering rule"):
        f(np.full(3, 2.0))


def test_a_dead_worker_is_replaced_and_the_call_still_compiles(tmp_path, monkeypatch):
    monkeypatch.setattr(fnx.config, "cache_dir", str(tmp_path))
    monkeypatch.setattr(fnx.config, "background_compile", "process")
    assert "has no attribute 'f'" in background._compile_in_worker("", "f", [])  # the worker reports errors
    # a worker that dies in the middle of a compile (as a crash in LLVM would) is reported too
    assert "stopped" in background._compile_in_worker("import os\nos._exit(3)\n", "f", [])
    f = fnx.jit(lambda x: x * 3.0 - 1.0)
    x = np.arange(4.0)
    for _ in range(2):
        assert_same(np.asarray(f(x)), x * 3.0 - 1.0)
    assert fnx.block_until_compiled(timeout=600)
    assert_same(np.asarray(f(x)), x * 3.0 - 1.0)
    assert next(iter(f._entries.values())).code.executable is not None
    assert background._worker.process.poll() is None  # a new worker serves the compile


def test_lower_compile_waits_for_the_compiled_code(monkeypatch):
    monkeypatch.setattr(fnx.config, "background_compile", "process")
    executable = fnx.jit(lambda x: x * 2.0).lower(np.ones(3)).compile()
    assert_same(np.asarray(executable.call(np.ones(3))[0]), np.full(3, 2.0))


def test_background_compile_setting_is_checked():
    with pytest.raises(ValueError, match="background_compile must be one of"):
        fnx.config.update("background_compile", "later")


def test_a_worker_is_replaced_after_its_quota_of_compiles(tmp_path, monkeypatch):
    monkeypatch.setattr(fnx.config, "cache_dir", str(tmp_path))
    monkeypatch.setattr(background, "WORKER_COMPILES", 1)
    background._compile_in_worker("", "f", [])
    first = background._worker.process
    background._compile_in_worker("", "f", [])
    assert background._worker.process is not first and first.wait(timeout=60) == 0  # it ended by itself


def _resident_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2 ** 20


def test_one_off_jitted_functions_cost_no_machine_code(monkeypatch):
    """A thousand distinct jitted functions called once each: traced and run on NumPy, never compiled, so
    the process keeps none of Numba's (never freed) machine code for them."""
    monkeypatch.setattr(fnx.config, "background_compile", "process")
    x = np.linspace(0.0, 1.0, 8)
    gc.collect()
    before, codes = _resident_mib(), len(jit_module._codes)
    for i in range(1000):
        y = fnx.jit(lambda v, i=i: fnp.sin(v) * float(i) + float(i % 7))(x)
        assert_same(np.asarray(y), np.sin(x) * i + i % 7, rtol=1e-12)
    assert background.wait_for_compiles(timeout=0)  # nothing was queued
    assert _resident_mib() - before < 100
    gc.collect()
    assert len(jit_module._codes) == codes  # each jaxpr's code went with its function


def test_block_until_compiled_compiles_what_was_called_once(monkeypatch):
    monkeypatch.setattr(fnx.config, "background_compile", "thread")
    f = fnx.jit(lambda v: fnp.cos(v) * 2.0)
    x = np.arange(5.0)
    assert_same(np.asarray(f(x)), np.cos(x) * 2.0, rtol=1e-12)
    assert fnx.block_until_compiled(timeout=600)
    assert_same(np.asarray(f(x)), np.cos(x) * 2.0, rtol=1e-12)
    entry = next(iter(f._entries.values()))
    assert entry.code.executable is not None and entry.call == entry.code.executable.call


def test_openblas_runs_one_thread_beside_the_compile_worker(tmp_path, monkeypatch):
    own = openblas.get_threads()
    if own is None:
        pytest.skip("this NumPy has no bundled OpenBLAS")
    monkeypatch.setattr(fnx.config, "cache_dir", str(tmp_path))
    monkeypatch.setattr(fnx.config, "background_compile", "process")
    monkeypatch.setattr(fnx.config, "adapt_blas_threads", True)
    monkeypatch.setattr(openblas, "_other_cores", 0.0)
    monkeypatch.setattr(openblas, "SAMPLE_SECONDS", 3600.0)  # a watcher started here never looks again
    release = threading.Event()
    compile_in_worker = background._compile_in_worker
    monkeypatch.setattr(background, "_compile_in_worker", lambda *a, **k: release.wait() and compile_in_worker(*a, **k))
    f = fnx.jit(lambda v: v @ v.T + 1.0)
    x = np.ones((4, 4))
    try:
        alone = os.cpu_count() or 1  # OpenBLAS's count alone on the machine (the suite's workers share it)
        openblas.set_threads(alone)
        f(x)
        f(x)  # starts the compile, held until released: the first tier now runs beside the worker
        f(x)
        assert openblas.get_threads() == 1
        assert openblas.scipy_openblas().scipy_openblas_get_num_threads() == 1  # the decompositions' LAPACK too
        release.set()
        assert fnx.block_until_compiled(timeout=600)
        assert openblas.get_threads() == openblas.threads_for(0.0, os.cpu_count(), alone, False)
    finally:
        release.set()
        openblas.set_threads(own)


@pytest.mark.parametrize("others, cores, own, busy, expected", [
    (0.0, 2, 2, False, 2), (0.9, 2, 2, False, 1), (0.4, 2, 2, False, 2), (0.0, 2, 2, True, 1),
    (1.6, 8, 8, False, 6), (7.9, 8, 8, False, 1), (0.0, 8, 4, False, 4)])
def test_openblas_threads_follow_the_cores_other_processes_keep_busy(others, cores, own, busy, expected):
    assert openblas.threads_for(others, cores, own, busy) == expected


def test_the_derivative_of_a_jitted_function_compiles_too(monkeypatch):
    """Eager ``grad(jit(f))`` calls one jitted backward function per jaxpr, which compiles like any other."""
    monkeypatch.setattr(fnx.config, "background_compile", "thread")
    f = fnx.jit(lambda v: fnp.sum(fnp.sin(v) * v))
    x = np.linspace(0.0, 1.0, 5)
    for _ in range(2):
        assert_same(np.asarray(fnx.grad(f)(x)), np.sin(x) + x * np.cos(x), rtol=1e-12)
    assert fnx.block_until_compiled(timeout=600)
    assert_same(np.asarray(fnx.grad(f)(x)), np.sin(x) + x * np.cos(x), rtol=1e-12)
    jaxpr = next(iter(f._entries.values())).jaxpr  # grad binds f's jit equation: its code runs through jit_p
    forward = jit_module._code(jaxpr)
    backward = next(iter(jit_module._derived[jaxpr][("vjp",)]._entries.values()))
    assert forward.executable is not None and forward.call == forward.executable.call
    assert backward.code.executable is not None and backward.call == backward.code.executable.call


def test_the_common_kernel_list_names_kernels_and_signatures_that_exist():
    """Every recorded signature decodes, names a disk-cached kernel, and encodes back to itself (a renamed
    kernel or a changed argument list shows here, not as a silently skipped entry in the worker)."""
    from fnx.lower.cpu import common_kernels
    from fnx.lower.cpu.kernel_signatures import SIGNATURES
    known = {(module, name) for module, name, _ in common_kernels.dispatchers()}
    assert SIGNATURES and {(module, name) for module, name, _ in SIGNATURES} <= known
    for _, _, signature in SIGNATURES:
        assert common_kernels.encode(common_kernels.decode(signature)) == signature


def test_compiling_ahead_compiles_the_listed_kernels_one_per_step(monkeypatch):
    from fnx.lower.cpu import common_kernels, kernel_signatures
    # signatures no other test compiles: uint16 and int16 arrays
    first = ("kernels", "assign", (("array", "<u2", 3, "C", False), ("array", "<u2", 3, "A", True)))
    second = ("kernels", "assign", (("array", "<i2", 2, "C", False), ("array", "<i2", 2, "C", True)))
    listed = [first, ("vecmath", "no_such_kernel", (("scalar", "<f8"),)), second, first]
    monkeypatch.setattr(kernel_signatures, "SIGNATURES", listed)
    steps = common_kernels.compile_ahead()
    for module, name, signature in (first, second):  # the unknown kernel is skipped, not a step
        next(steps)
        assert common_kernels.decode(signature) in common_kernels._dispatcher(module, name).overloads
    assert next(steps, "done") == "done"  # the first again: compiled already
    assert list(common_kernels.compile_ahead()) == []  # compiled already: nothing left to do


def _serve_in_thread(monkeypatch, busy_cores: float) -> tuple:
    """Run the worker's loop in a thread, on a machine where ``busy_cores`` cores are kept busy, compiling
    ahead with a stand-in that only counts its steps: (steps, thread, requests, replies) with the pipe ends
    this process uses."""
    from multiprocessing import Pipe

    from fnx.lower.cpu import common_kernels, compile_worker
    steps = []

    def ahead():
        while True:
            steps.append(1)
            yield

    clock = iter(range(10 ** 9))  # busy CPU seconds so far: busy_cores * 100 more at every look
    monkeypatch.setattr(common_kernels, "compile_ahead", ahead)
    monkeypatch.setattr(openblas, "cpu_seconds", lambda: (next(clock) * busy_cores * 100, 0.0))
    monkeypatch.setattr(compile_worker, "SAMPLE_SECONDS", 0.01)
    worker_requests, requests = Pipe(duplex=False)
    replies, worker_replies = Pipe(duplex=False)
    thread = threading.Thread(target=compile_worker.serve, args=(worker_requests, worker_replies))
    thread.start()
    return steps, thread, requests, replies


@pytest.mark.parametrize("busy_cores", [0.0, float(os.cpu_count())])
def test_the_idle_worker_compiles_ahead_only_with_a_core_free_and_answers_requests_first(busy_cores, monkeypatch):
    steps, thread, requests, replies = _serve_in_thread(monkeypatch, busy_cores)
    time.sleep(0.3)
    taken = len(steps)
    requests.send(("", "f", []))  # answered (with its error) at the next look between kernels
    assert replies.poll(60) and "has no attribute 'f'" in replies.recv()[0]  # (error, timeline events)
    requests.close()
    thread.join(60)
    assert not thread.is_alive()  # it ends when the pipe closes
    if busy_cores:
        assert steps == []  # every core busy: nothing compiled ahead
    else:
        assert taken > 0


def test_compile_ahead_setting_is_checked_and_the_worker_started_with_it(tmp_path, monkeypatch):
    monkeypatch.setattr(fnx.config, "cache_dir", str(tmp_path))
    with pytest.raises(ValueError, match="compile_ahead must be True or False"):
        fnx.config.update("compile_ahead", "sometimes")
    monkeypatch.setattr(fnx.config, "compile_ahead", False)
    background._compile_in_worker("", "f", [])
    assert background._worker.settings[-1] is False


def test_the_worker_starts_when_a_function_is_jitted(tmp_path, monkeypatch):
    """Its start (Python, NumPy, Numba) overlaps what comes before the first compile (loading data, the trace,
    the first calls); not under another trace, nor in the modes that use no worker."""
    monkeypatch.setattr(fnx.config, "cache_dir", str(tmp_path))
    events = []
    monkeypatch.setattr(jit_module, "start_worker", lambda: events.append("worker"))

    def traced(x):
        events.append("trace")
        return x + 1.0

    for mode, at_jit in (("process", ["worker"]), ("thread", []), ("off", [])):
        monkeypatch.setattr(fnx.config, "background_compile", mode)
        events.clear()
        jitted = fnx.jit(traced)
        assert events == at_jit, mode  # before any data is there
        assert_same(np.asarray(jitted(np.ones(2))), np.full(2, 2.0))
        assert "trace" in events and ("worker" in events) == bool(at_jit), mode
    events.clear()
    monkeypatch.setattr(fnx.config, "background_compile", "process")
    fnx.grad(lambda x: fnx.jit(traced)(x).sum())(np.ones(2))  # traced under grad's trace: no worker yet
    assert events[0] == "trace"


def test_writing_a_programs_source_imports_no_numba():
    """The compile worker gets the source before this process imports Numba (~0.3-0.5 s holding the GIL
    beside the first tier): lowering, every CPU rule registered, and looking in the disk cache must not
    import it."""
    script = f"""
import sys
sys.path.insert(0, {str(REPO)!r})
import numpy as np
import fnx, fnx.numpy as fnp
from fnx import lax
from fnx.lower.cpu.program import lower

def f(x, i):
    pooled = lax.reduce_window(x, -np.inf, lax.max, (2, 2), (1, 1), "VALID")
    return fnp.argmax(x, axis=1), fnp.cumsum(x, axis=0), pooled, x.at[i].add(1.0), fnp.all(x > 0)

source, entry = lower(fnx.make_jaxpr(f)(np.ones((4, 4), np.float32), np.array([0, 2])))
for kernel in ("arg_rows(", "cumulative_rows(", "scatter(", "reduce_window(", "logical_rows("):  # their op codes
    assert kernel in source, source
from fnx.lower.cpu.cache_keys import holds_module
assert not holds_module(source)  # nor looking for it in the disk cache
print(sorted(name for name in sys.modules if name.split(".")[0] in ("numba", "llvmlite")))
"""
    done = subprocess.run([sys.executable, "-I", "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_workers_are_stopped_and_waited_for_at_exit(tmp_path):
    """A retired worker and one still compiling when the process ends are both ended and waited for: no
    ``ResourceWarning: subprocess N is still running`` (an error here), no process left using a core."""
    script = f"""
import sys, threading
sys.path.insert(0, {str(REPO)!r})
import fnx
from fnx.lower import background
fnx.config.update("cache_dir", {str(tmp_path)!r})
background.WORKER_COMPILES = 1
assert "has no attribute" in background._compile_in_worker("", "f", [])
retired = background._worker.process.pid
# the next request retires that worker and keeps a new one busy for a minute
threading.Thread(target=background._compile_in_worker, args=("import time\\ntime.sleep(60)\\n", "f", []),
                 daemon=True).start()
while background._worker is None or background._worker.process.pid == retired:
    pass
print(retired, background._worker.process.pid)
"""
    start = time.monotonic()
    done = subprocess.run([sys.executable, "-W", "error::ResourceWarning", "-c", script], capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0 and "ResourceWarning" not in done.stderr, done.stderr
    assert time.monotonic() - start < 50  # the busy worker was killed, not waited out
    for pid in done.stdout.split():
        assert not os.path.exists(f"/proc/{pid}")  # ended and reaped


_CACHED_RUN = """
import json, os, sys, numpy as np, fnx, fnx.numpy as fnp
from fnx.lower import background
def no_worker(*args, **kwargs):  # an exception would be caught (the caller compiles again): end the process
    print("the worker was asked to compile", file=sys.stderr, flush=True)
    os._exit(3)
if sys.argv[1] == "load":
    background._compile_in_worker = no_worker
f = fnx.jit(lambda x: fnp.tanh(x) * 3.0 + fnp.sum(x))
x = np.linspace(-1.0, 1.0, 7)
f(x), f(x)
assert fnx.block_until_compiled(timeout=600)
assert next(iter(f._entries.values())).code.executable is not None
print(json.dumps(np.asarray(f(x)).tolist()))
"""


def test_machine_code_in_the_disk_cache_is_loaded_without_the_worker(tmp_path):
    """A second process finds the first one's program in the disk cache and loads it in its compile thread,
    sparing the worker's round trip (the script fails if it asks the worker)."""
    env = {**os.environ, "FNX_CACHE_DIR": str(tmp_path), "FNX_BACKGROUND_COMPILE": "process",
           "PYTHONPATH": str(REPO)}
    runs = [subprocess.run([sys.executable, "-c", _CACHED_RUN, step], env=env, cwd=tmp_path, capture_output=True,
                           text=True, timeout=600) for step in ("compile", "load")]
    assert [r.returncode for r in runs] == [0, 0], runs[1].stderr[-2000:]
    x = np.linspace(-1.0, 1.0, 7)
    for r in runs:
        assert_same(np.asarray(json.loads(r.stdout)), np.tanh(x) * 3.0 + np.sum(x), rtol=1e-12)
