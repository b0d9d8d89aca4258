"""Beside a busy neighbour, can fnx's products use a second core? OpenBLAS's threads against splits of our own.

``python benchmarks/split_products.py [--rounds 9] [--own-session]`` times the matrix products of one
``mlp_step`` and one ``epoch`` step (``blas_bound.step_products``) four ways, alternating in one process, with
a busy-looping process stopped and continued between turns (as ``paired.py --busy``):

- ``openblas1``: NumPy's OpenBLAS on one thread (what fnx's load watcher picks beside a busy neighbour);
- ``openblas2``: on two threads (its choice on an idle machine); they spin while they wait for each other;
- ``split``: each product of at least ``--split-from`` multiply-adds cut into column blocks, one per Numba
  thread (a ``prange``), each block a one-thread OpenBLAS product. Numba's threads sleep while they wait, and
  the caller waits for both halves;
- ``claim``: the same products cut into ``--blocks`` column blocks that the caller and one helper thread take
  from a shared counter (compare-and-swap), so that the caller, on a core of its own, waits at most for the
  helper's block in flight. The helper spins ~50 us for the next job, then sleeps on a futex (Linux).

It prints the milliseconds per step and the cores used (CPU time over wall time) idle and busy. fnx's
slowdown beside a busy neighbour is the gain it loses from the second core (``paired.py --busy``); only a way
to keep using it, at a share of the neighbour's core, can bring that slowdown under JAX's. A mode that runs
near ``openblas2`` idle and well under ``openblas1`` busy would be that way (docs/design.md, "Beside a busy
neighbour"). ``--own-session`` starts the neighbour in a session of its own: where the
kernel groups processes by session for scheduling (``/proc/sys/kernel/sched_autogroup_enabled``), the
neighbour then holds its core whatever the number of fnx's threads.
"""
from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.dirname(HERE), HERE]

import numba  # noqa: E402
import numpy as np  # noqa: E402
from numba import types  # noqa: E402
from llvmlite import ir  # noqa: E402
from numba.extending import intrinsic  # noqa: E402

import blas_bound  # noqa: E402
import workloads  # noqa: E402
from fnx.lower import openblas  # noqa: E402
from fnx.lower.cpu import blas, threads  # noqa: E402

SGEMM = blas._EXTERNAL[types.float32]  # fnx's name for NumPy's OpenBLAS sgemm, as compiled code calls it
NO_TRANS, TRANS = blas.NO_TRANS, blas.TRANS


@intrinsic
def _offset(typingctx, pointer, count):
    """``pointer + count`` elements."""
    def codegen(context, builder, signature, args):
        return builder.gep(args[0], [args[1]])
    return pointer(pointer, types.int64), codegen


@numba.njit(parallel=True, nogil=True)
def split_product(a, b, transpose_a, transpose_b, out, parts):
    """``out[:] = op(a) @ op(b)`` (C-contiguous float32), its columns cut in ``parts`` blocks over Numba's
    threads, each a one-thread OpenBLAS product."""
    m, n = out.shape
    k = a.shape[0] if transpose_a else a.shape[1]
    for p in numba.prange(parts):
        lo, hi = n * p // parts, n * (p + 1) // parts
        b_block = _offset(blas._data(b), lo * b.shape[1] if transpose_b else lo)
        SGEMM(blas.ROW_MAJOR, TRANS if transpose_a else NO_TRANS, TRANS if transpose_b else NO_TRANS, m, hi - lo,
              k, np.float32(1.0), blas._data(a), a.shape[1], b_block, b.shape[1], np.float32(0.0),
              _offset(blas._data(out), lo), n)


# the claim mode's shared words: the job's generation (its low 32 bits are the helper's futex), the next block
# (generation << 20 | block), blocks done, whether the helper sleeps, stop, then the job
GEN, NEXT, DONE, SLEEPING, STOP, BLOCKS, M, N, K, TA, TB, A, B, C = range(14)
SPINS = 20_000
_SYSCALL = types.ExternalFunction("syscall", types.int64(types.int64, types.voidptr, types.int64, types.int64,
                                                         types.voidptr))
FUTEX, FUTEX_WAIT_PRIVATE, FUTEX_WAKE_PRIVATE = 202, 128, 129  # x86-64 Linux


def _element(context, builder, signature, args):
    """(intrinsics' code) The address of ``state[index]``, the intrinsic's first two arguments."""
    return builder.gep(context.make_array(signature.args[0])(context, builder, args[0]).data, [args[1]])


@intrinsic
def _word(typingctx, state, index):
    """The address of ``state[index]`` (an int64 array)."""
    return types.CPointer(types.int64)(state, types.int64), _element


@intrinsic
def _load(typingctx, state, index):
    """``state[index]``, read atomically."""
    def codegen(context, builder, signature, args):
        return builder.load_atomic(_element(context, builder, signature, args), "seq_cst", 8)
    return types.int64(state, types.int64), codegen


@intrinsic
def _store(typingctx, state, index, value):
    """``state[index] = value``, written atomically."""
    def codegen(context, builder, signature, args):
        builder.store_atomic(args[2], _element(context, builder, signature, args), "seq_cst", 8)
        return context.get_dummy_value()
    return types.none(state, types.int64, types.int64), codegen


@intrinsic
def _add(typingctx, state, index, value):
    """``state[index] += value`` atomically; the value before."""
    def codegen(context, builder, signature, args):
        return builder.atomic_rmw("add", _element(context, builder, signature, args), args[2], "seq_cst")
    return types.int64(state, types.int64, types.int64), codegen


@intrinsic
def _swap(typingctx, state, index, old, new):
    """Compare-and-swap ``state[index]`` from ``old`` to ``new``; whether it happened."""
    def codegen(context, builder, signature, args):
        result = builder.cmpxchg(_element(context, builder, signature, args), args[2], args[3], "seq_cst",
                                 "seq_cst")
        return builder.extract_value(result, 1)
    return types.boolean(state, types.int64, types.int64, types.int64), codegen


@intrinsic
def _pointer(typingctx, address):
    """The float32 pointer at integer ``address``."""
    def codegen(context, builder, signature, args):
        return builder.inttoptr(args[0], ir.PointerType(ir.FloatType()))
    return types.CPointer(types.float32)(types.int64), codegen


@intrinsic
def _void(typingctx, pointer):
    """``pointer`` as a ``void *``."""
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(8).as_pointer())
    return types.voidptr(pointer), codegen


@numba.njit(nogil=True)
def _futex(state, operation, value):
    """The futex call ``operation`` on the low 32 bits of ``state[GEN]``."""
    return _SYSCALL(FUTEX, _void(_word(state, GEN)), operation, value, _void(_pointer(0)))


@numba.njit(nogil=True)
def _block(state, block):
    """Columns of block ``block`` of the job in ``state``: a one-thread OpenBLAS product."""
    n, k, parts, ta, tb = state[N], state[K], state[BLOCKS], state[TA], state[TB]
    lo, hi = n * block // parts, n * (block + 1) // parts
    lda, ldb = (state[M] if ta else k), (k if tb else n)
    b = _offset(_pointer(state[B]), lo * ldb if tb else lo)
    SGEMM(blas.ROW_MAJOR, TRANS if ta else NO_TRANS, TRANS if tb else NO_TRANS, state[M], hi - lo, k,
          np.float32(1.0), _pointer(state[A]), lda, b, ldb, np.float32(0.0), _offset(_pointer(state[C]), lo), n)


@numba.njit(nogil=True)
def _claim_blocks(state, generation):
    """Take blocks of job ``generation`` and compute them until none is left."""
    done = 0
    while True:
        word = _load(state, NEXT)
        if word >> 20 != generation or word & 0xFFFFF >= state[BLOCKS]:
            break
        if _swap(state, NEXT, word, word + 1):
            _block(state, word & 0xFFFFF)
            done += 1
    if done:
        _add(state, DONE, done)


@numba.njit(nogil=True)
def serve(state):
    """The helper thread's loop: wait for a job (spinning, then on a futex) and take its blocks."""
    seen = _load(state, GEN)
    while not _load(state, STOP):
        spins = 0
        while _load(state, GEN) == seen and spins < SPINS:
            spins += 1
        if _load(state, GEN) == seen:
            _store(state, SLEEPING, 1)
            if _load(state, GEN) == seen:
                _futex(state, FUTEX_WAIT_PRIVATE, seen & 0xFFFFFFFF)
            _store(state, SLEEPING, 0)
            continue
        seen = _load(state, GEN)
        _claim_blocks(state, seen)


@numba.njit(nogil=True)
def claim_product(state, a, b, transpose_a, transpose_b, out, blocks):
    """``out[:] = op(a) @ op(b)`` (C-contiguous float32), in column blocks this thread and the helper take."""
    generation = state[GEN] + 1
    state[M], state[N] = out.shape
    state[K] = a.shape[0] if transpose_a else a.shape[1]
    state[TA], state[TB], state[BLOCKS] = transpose_a, transpose_b, blocks
    state[A], state[B], state[C] = a.ctypes.data, b.ctypes.data, out.ctypes.data
    state[DONE] = 0
    _store(state, NEXT, generation << 20)
    _add(state, GEN, 1)
    if _load(state, SLEEPING):
        _futex(state, FUTEX_WAKE_PRIVATE, 1)
    _claim_blocks(state, generation)
    while _load(state, DONE) < blocks:
        pass


def start_helper() -> np.ndarray:
    """The claim mode's shared words, with the helper thread serving them."""
    state = np.zeros(16, np.int64)
    threading.Thread(target=serve, args=(state,), daemon=True, name="claim-helper").start()
    return state


@numba.njit(nogil=True)
def stop_helper(state):
    """End the helper's loop."""
    _store(state, STOP, 1)
    _add(state, GEN, 1)
    _futex(state, FUTEX_WAKE_PRIVATE, 1)


@numba.njit(nogil=True)
def whole_product(a, b, transpose_a, transpose_b, out):
    """``out[:] = op(a) @ op(b)`` in one OpenBLAS call (on its current thread count)."""
    blas.gemm(a, b, transpose_a, transpose_b, out, 1.0, 0.0)


def step_calls(name: str) -> list:
    """(a, b, transpose_a, transpose_b, out) for every product of one step of workload ``name``."""
    params, x, _ = workloads.BY_NAME[name].inputs(False)
    x = x[0] if name == "epoch" else x
    products = blas_bound.step_products([(w.astype(np.float32), c) for w, c in params], x.astype(np.float32))
    return [(a, b, ta, tb, np.empty((a.shape[1] if ta else a.shape[0], b.shape[0] if tb else b.shape[1]),
                                    np.float32)) for a, b, ta, tb in products]


def run(mode: str, calls: list, args, state: np.ndarray) -> None:
    """One step's products the way ``mode`` names."""
    for a, b, ta, tb, out in calls:
        large = out.shape[0] * out.shape[1] * (a.shape[0] if ta else a.shape[1]) >= args.split_from
        if mode == "split" and large:
            split_product(a, b, ta, tb, out, numba.config.NUMBA_NUM_THREADS)
        elif mode == "claim" and large:
            claim_product(state, a, b, ta, tb, out, args.blocks)
        else:
            whole_product(a, b, ta, tb, out)


def wall_and_cores(call, repeat: int) -> tuple[float, float]:
    time.sleep(0.15)  # OpenBLAS's idle threads spin ~0.11 s after a product
    start, cpu = time.perf_counter(), time.process_time()
    for _ in range(repeat):
        call()
    wall = time.perf_counter() - start
    return wall / repeat, (time.process_time() - cpu) / wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--split-from", type=int, default=1 << 22, help="multiply-adds from which a product is split")
    parser.add_argument("--blocks", type=int, default=8, help="column blocks of a product in the claim mode")
    parser.add_argument("--own-session", action="store_true", help="the busy neighbour in a session of its own")
    args = parser.parse_args()
    threads.launch()
    modes = ("openblas1", "openblas2", "split", "claim")
    threads_for = {"openblas1": 1, "openblas2": 2, "split": 1, "claim": 1}
    state = start_helper()
    for name in ("mlp_step", "epoch"):
        calls = step_calls(name)
        openblas.set_threads(1)
        for a, b, ta, tb, out in calls:  # compile, and check both ways of cutting against NumPy
            expected = (a.T if ta else a) @ (b.T if tb else b)
            split_product(a, b, ta, tb, out, 2)
            assert np.allclose(out, expected, rtol=1e-4, atol=1e-3)
            out[:] = np.nan
            claim_product(state, a, b, ta, tb, out, args.blocks)
            assert np.allclose(out, expected, rtol=1e-4, atol=1e-3)
        repeat = max(1, int(0.1 / wall_and_cores(lambda: run("openblas1", calls, args, state), 1)[0]))
        busy = subprocess.Popen([sys.executable, "-c", "while True: pass"], start_new_session=args.own_session)
        os.kill(busy.pid, signal.SIGSTOP)
        found = {(mode, turn): [] for mode in modes for turn in ("idle", "busy")}
        try:
            for r in range(args.rounds):
                for turn in (("idle", "busy") if r % 2 == 0 else ("busy", "idle")):
                    os.kill(busy.pid, signal.SIGCONT if turn == "busy" else signal.SIGSTOP)
                    for mode in (modes if r % 2 == 0 else modes[::-1]):
                        openblas.set_threads(threads_for[mode])
                        found[mode, turn].append(wall_and_cores(lambda: run(mode, calls, args, state), repeat))
        finally:
            busy.kill()
        for mode in modes:
            (idle, idle_cores), (busy_ms, busy_cores) = (np.median(found[mode, t], axis=0) for t in ("idle", "busy"))
            print(f"{name:8s} {mode:9s} idle {idle * 1e3:7.3f} ms ({idle_cores:.2f} cores)  busy {busy_ms * 1e3:7.3f} ms "
                  f"({busy_cores:.2f} cores)  busy/idle {busy_ms / idle:.2f}", flush=True)
    stop_helper(state)


if __name__ == "__main__":
    main()
