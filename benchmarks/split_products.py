"""Beside a busy neighbour, can fnx's products use a second core? OpenBLAS's threads against splits of our own.

``python benchmarks/split_products.py [--rounds 9] [--own-session] [--workloads]`` times the matrix products of one
``mlp_step`` and one ``epoch`` step (``blas_bound.step_products``) four ways, alternating in one process, with
a busy-looping process stopped and continued between turns (as ``paired.py --busy``):

- ``openblas1``: NumPy's OpenBLAS on one thread (what fnx's load watcher picks beside a busy neighbour);
- ``openblas2``: on two threads (its choice on an idle machine); they spin while they wait for each other;
- ``split``: each product of at least ``--split-from`` multiply-adds cut into column blocks, one per Numba
  thread (a ``prange``), each block a one-thread OpenBLAS product. Numba's threads sleep while they wait, and
  the caller waits for both halves;
- ``claim``: the same products cut into ``--blocks`` column blocks (``--row-blocks``: of rows, for products
  with more rows than columns) that the caller and one helper thread take
  from a shared counter (compare-and-swap), so that the caller, on a core of its own, waits at most for the
  helper's block in flight. The helper spins ~50 us for the next job, then sleeps on a futex (Linux).

It prints the milliseconds per step and the cores used (CPU time over wall time) idle and busy. With
``--workloads`` it times fnx's compiled ``mlp_step`` and ``epoch`` instead, with fnx's gemm bound to
``claimed_sgemm`` (``fnx``: OpenBLAS's threads as fnx's load watcher sets them; ``fnx-claim``: the claim mode
on one OpenBLAS thread, idle and busy), beside JAX. fnx's
slowdown beside a busy neighbour is the gain it loses from the second core (``paired.py --busy``); only a way
to keep using it, at a share of the neighbour's core, can bring that slowdown under JAX's. A mode that runs
near ``openblas2`` idle and well under ``openblas1`` busy would be that way (docs/design.md, "Beside a busy
neighbour"). ``--own-session`` starts the neighbour in a session of its own: where the
kernel groups processes by session for scheduling (``/proc/sys/kernel/sched_autogroup_enabled``), the
neighbour then holds its core whatever the number of fnx's threads.
"""
from __future__ import annotations

import argparse
import ctypes
import os
import signal
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.dirname(HERE), HERE]
os.environ.setdefault("FNX_COMPILE_AHEAD", "0")  # steady state (as paired.py): no compile worker at work

import numba  # noqa: E402
import numpy as np  # noqa: E402
from numba import types  # noqa: E402
from llvmlite import binding, ir  # noqa: E402
from numba.extending import intrinsic  # noqa: E402

import blas_bound  # noqa: E402
import workloads  # noqa: E402
from fnx.lower import openblas  # noqa: E402
from fnx.lower.cpu import blas, threads  # noqa: E402

# NumPy's OpenBLAS sgemm under a name of this benchmark's: with --workloads, fnx's own name for it is bound to
# claimed_sgemm instead
SGEMM = types.ExternalFunction("split_products_sgemm", blas._signature(types.float32))
binding.add_symbol("split_products_sgemm", ctypes.cast(blas.numpy_openblas().scipy_cblas_sgemm64_, ctypes.c_void_p).value)
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
# (generation << 20 | block), blocks done, whether the helper sleeps, stop, then the job; MODE and LOCK serve
# fnx's gemm when --workloads binds it to claimed_sgemm (claim or not; a product under way). The job's alpha
# and beta are in a float32 array beside it.
GEN, NEXT, DONE, SLEEPING, STOP, BLOCKS, M, N, K, TA, TB, A, B, C, LDA, LDB, LDC, MODE, LOCK, ROWS = range(20)
SPINS = 20_000
ROW_BLOCKS = "--row-blocks" in sys.argv  # read when the claim code compiles
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
def _block(state, scalars, block):
    """Block ``block`` of the job in ``state``, a one-thread OpenBLAS product: rows of the output when the job
    says ``ROWS`` (each block then packs ``op(b)`` again), otherwise columns (each packs ``op(a)`` again)."""
    m, n, parts, lda, ldb, ldc = state[M], state[N], state[BLOCKS], state[LDA], state[LDB], state[LDC]
    a, b, c = _pointer(state[A]), _pointer(state[B]), _pointer(state[C])
    if state[ROWS]:
        lo, hi = m * block // parts, m * (block + 1) // parts
        a, c, m = _offset(a, lo if state[TA] == TRANS else lo * lda), _offset(c, lo * ldc), hi - lo
    else:
        lo, hi = n * block // parts, n * (block + 1) // parts
        b, c, n = _offset(b, lo * ldb if state[TB] == TRANS else lo), _offset(c, lo), hi - lo
    SGEMM(blas.ROW_MAJOR, np.int32(state[TA]), np.int32(state[TB]), m, n, state[K], scalars[0], a, lda, b, ldb,
          scalars[1], c, ldc)


@numba.njit(nogil=True)
def _claim_blocks(state, scalars, generation):
    """Take blocks of job ``generation`` and compute them until none is left."""
    done = 0
    while True:
        word = _load(state, NEXT)
        if word >> 20 != generation or word & 0xFFFFF >= state[BLOCKS]:
            break
        if _swap(state, NEXT, word, word + 1):
            _block(state, scalars, word & 0xFFFFF)
            done += 1
    if done:
        _add(state, DONE, done)


@numba.njit(nogil=True)
def serve(state, scalars):
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
        _claim_blocks(state, scalars, seen)


@numba.njit(nogil=True)
def _claim(state, scalars, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, blocks):
    """CBLAS row-major ``c = alpha op(a) op(b) + beta c`` (float32 at integer addresses), in column blocks this
    thread and the helper take."""
    generation = state[GEN] + 1
    state[TA], state[TB], state[M], state[N], state[K], state[BLOCKS] = trans_a, trans_b, m, n, k, blocks
    state[A], state[LDA], state[B], state[LDB], state[C], state[LDC] = a, lda, b, ldb, c, ldc
    state[ROWS] = ROW_BLOCKS and m > n  # then op(b), k x n, is the smaller operand to pack again per block
    scalars[0], scalars[1] = alpha, beta
    state[DONE] = 0
    _store(state, NEXT, generation << 20)
    _add(state, GEN, 1)
    if _load(state, SLEEPING):
        _futex(state, FUTEX_WAKE_PRIVATE, 1)
    _claim_blocks(state, scalars, generation)
    while _load(state, DONE) < blocks:
        pass


@numba.njit(nogil=True)
def claim_product(state, scalars, a, b, transpose_a, transpose_b, out, blocks):
    """``out[:] = op(a) @ op(b)`` (C-contiguous float32), in column blocks this thread and the helper take."""
    _claim(state, scalars, TRANS if transpose_a else NO_TRANS, TRANS if transpose_b else NO_TRANS, out.shape[0],
           out.shape[1], a.shape[0] if transpose_a else a.shape[1], np.float32(1.0), a.ctypes.data, a.shape[1],
           b.ctypes.data, b.shape[1], np.float32(0.0), out.ctypes.data, out.shape[1], blocks)


def start_helper() -> tuple[np.ndarray, np.ndarray]:
    """The claim mode's shared words and scalars, with the helper thread serving them."""
    state, scalars = np.zeros(32, np.int64), np.zeros(2, np.float32)
    threading.Thread(target=serve, args=(state, scalars), daemon=True, name="claim-helper").start()
    return state, scalars


@numba.njit(nogil=True)
def stop_helper(state):
    """End the helper's loop."""
    _store(state, STOP, 1)
    _add(state, GEN, 1)
    _futex(state, FUTEX_WAKE_PRIVATE, 1)


@intrinsic
def _address(typingctx, pointer):
    """``pointer`` as an integer."""
    def codegen(context, builder, signature, args):
        return builder.ptrtoint(args[0], ir.IntType(64))
    return types.int64(pointer), codegen


def _constant_array(array: np.ndarray):
    """An intrinsic giving ``array`` (which must outlive the code) as a Numba array, by its address: a global
    array would be frozen into the code as a copy."""
    address, length, dtype = array.ctypes.data, array.shape[0], numba.from_dtype(array.dtype)

    @intrinsic
    def pointer(typingctx):
        def codegen(context, builder, signature, args):
            return ir.Constant(ir.IntType(64), address).inttoptr(context.get_value_type(types.CPointer(dtype)))
        return types.CPointer(dtype)(), codegen

    @numba.njit(nogil=True)
    def get():
        return numba.carray(pointer(), (length,))
    return get


def claimed_sgemm(state: np.ndarray, scalars: np.ndarray, blocks: int, split_from: int):
    """A C function with fnx's sgemm signature: while ``state[MODE]`` is set, a product of at least
    ``split_from`` multiply-adds in ``blocks`` claimed blocks (one product at a time: another, from another
    thread meanwhile, is one OpenBLAS call); otherwise one OpenBLAS call."""
    get_state, get_scalars = _constant_array(state), _constant_array(scalars)

    @numba.cfunc(blas._signature(types.float32), nogil=True, error_model="numpy")
    def gemm(order, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc):
        words = get_state()
        if _load(words, MODE) and m * n * k >= split_from and _swap(words, LOCK, 0, 1):
            _claim(words, get_scalars(), trans_a, trans_b, m, n, k, alpha, _address(a), lda, _address(b), ldb, beta,
                   _address(c), ldc, blocks)
            _store(words, LOCK, 0)
        else:
            SGEMM(order, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
    return gemm


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
            claim_product(*state, a, b, ta, tb, out, args.blocks)
        else:
            whole_product(a, b, ta, tb, out)


def wall_and_cores(call, repeat: int) -> tuple[float, float]:
    time.sleep(0.15)  # OpenBLAS's idle threads spin ~0.11 s after a product
    start, cpu = time.perf_counter(), time.process_time()
    for _ in range(repeat):
        call()
    wall = time.perf_counter() - start
    return wall / repeat, (time.process_time() - cpu) / wall


def alternate(contenders: dict, rounds: int, own_session: bool) -> dict:
    """name -> (prepare, call): per (name, "idle" or "busy"), the (seconds per call, cores used) of each round,
    the busy-looping neighbour stopped and continued between turns."""
    repeat = max(1, int(0.1 / max(wall_and_cores(call, 1)[0] for _, call in contenders.values())))
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"], start_new_session=own_session)
    os.kill(busy.pid, signal.SIGSTOP)
    found = {(name, turn): [] for name in contenders for turn in ("idle", "busy")}
    try:
        for r in range(rounds):
            for turn in (("idle", "busy") if r % 2 == 0 else ("busy", "idle")):
                os.kill(busy.pid, signal.SIGCONT if turn == "busy" else signal.SIGSTOP)
                for name in (list(contenders) if r % 2 == 0 else list(contenders)[::-1]):
                    prepare, call = contenders[name]
                    prepare()
                    found[name, turn].append(wall_and_cores(call, repeat))
    finally:
        busy.kill()
    return {key: np.median(values, axis=0) for key, values in found.items()}


def report(title: str, found: dict, names: list, against: str | None = None) -> None:
    for name in names:
        (idle, idle_cores), (busy, busy_cores) = found[name, "idle"], found[name, "busy"]
        versus = f"  busy/{against}'s busy {busy / found[against, 'busy'][0]:.2f}" if against and name != against else ""
        print(f"{title:8s} {name:9s} idle {idle * 1e3:7.3f} ms ({idle_cores:.2f} cores)  busy {busy * 1e3:7.3f} ms "
              f"({busy_cores:.2f} cores)  busy/idle {busy / idle:.2f}{versus}", flush=True)


def products(args, state: tuple) -> None:
    """The products of each step, each mode in turn."""
    threads_for = {"openblas1": 1, "openblas2": 2, "split": 1, "claim": 1}
    for name in ("mlp_step", "epoch"):
        calls = step_calls(name)
        openblas.set_threads(1)
        for a, b, ta, tb, out in calls:  # compile, and check both ways of cutting against NumPy
            expected = (a.T if ta else a) @ (b.T if tb else b)
            split_product(a, b, ta, tb, out, 2)
            assert np.allclose(out, expected, rtol=1e-4, atol=1e-3)
            out[:] = np.nan
            claim_product(*state, a, b, ta, tb, out, args.blocks)
            assert np.allclose(out, expected, rtol=1e-4, atol=1e-3)
        contenders = {mode: (lambda mode=mode: openblas.set_threads(threads_for[mode]),
                             lambda mode=mode: run(mode, calls, args, state)) for mode in threads_for}
        report(name, alternate(contenders, args.rounds, args.own_session), list(contenders))


def whole_workloads(args, state: tuple) -> None:
    """fnx's compiled MLP step and epoch, its gemm bound to ``claimed_sgemm``: with OpenBLAS's threads as fnx's
    load watcher sets them ("fnx"), in claimed blocks on one OpenBLAS thread ("fnx-claim"), and JAX."""
    import fnx
    from worker import load_framework
    words, _ = state

    def plain():
        words[MODE] = 0
        fnx.config.update("adapt_blas_threads", True)

    def claiming():
        fnx.config.update("adapt_blas_threads", False)
        openblas.set_threads(1)
        words[MODE] = 1

    frameworks = [load_framework("fnx", None), load_framework("jax", None)]
    for name in ("mlp_step", "epoch"):
        workload = workloads.BY_NAME[name]
        data = workload.inputs(False)
        calls = {}
        for who, F in zip(("fnx", "JAX"), frameworks):
            f, arguments = workload.traced(F), F.tree_map(F.put, data)
            calls[who] = lambda F=F, f=f, arguments=arguments: F.block(f(*arguments))
            calls[who]()
        frameworks[0].compiled()
        claiming()
        expected = [np.asarray(x) for x in fnx.tree_leaves(calls["fnx"]())]
        plain()
        assert all(np.allclose(x, y, rtol=1e-4, atol=1e-4) for x, y in
                   zip(expected, [np.asarray(x) for x in fnx.tree_leaves(calls["fnx"]())]))
        contenders = {"fnx": (plain, calls["fnx"]), "fnx-claim": (claiming, calls["fnx"]), "JAX": (plain, calls["JAX"])}
        report(name, alternate(contenders, args.rounds, args.own_session), list(contenders), "JAX")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--split-from", type=int, default=1 << 22, help="multiply-adds from which a product is split")
    parser.add_argument("--blocks", type=int, default=8, help="column blocks of a product in the claim mode")
    parser.add_argument("--row-blocks", action="store_true",
                        help="in the claim mode, cut a product with more rows than columns in blocks of rows")
    parser.add_argument("--own-session", action="store_true", help="the busy neighbour in a session of its own")
    parser.add_argument("--workloads", action="store_true",
                        help="time fnx's compiled mlp_step and epoch with the claim mode as its gemm, and JAX")
    args = parser.parse_args()
    threads.launch()
    state = start_helper()
    if args.workloads:
        binding.add_symbol("fnx_cblas_sgemm", claimed_sgemm(*state, args.blocks, args.split_from).address)
        whole_workloads(args, state)
    else:
        products(args, state)
    stop_helper(state[0])


if __name__ == "__main__":
    main()
