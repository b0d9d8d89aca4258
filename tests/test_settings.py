"""fnx.config settings that are not about dtypes: the memory policy, parallel loops (docs/settings.md)."""
import os
import platform
import subprocess
import sys

import numpy as np
import pytest

import fnx
import fnx.numpy as fnp
from fnx.lower import loop_threads, openblas


_FAULTS = """
import resource, sys
import numpy as np
from fnx._memory import keep_freed_memory

def faults_touching_a_fresh_array(nbytes):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    a = np.empty(nbytes, np.uint8)
    a[::4096] = 1  # touch every page
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
    del a
    return faults

assert keep_freed_memory(256 << 20)
faults_touching_a_fresh_array(64 << 20)  # the heap grows once...
reused = faults_touching_a_fresh_array(64 << 20)  # ...and the next array reuses its pages
assert keep_freed_memory(0)  # glibc's defaults: a big array is a fresh mapping, whose pages fault
fresh = faults_touching_a_fresh_array(64 << 20)
print(reused, fresh)
"""


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="the policy is glibc's mallopt")
def test_freed_memory_is_reused_without_page_faults():
    """In a process of its own: in a long-running one (the suite's), which chunk of a fragmented heap serves
    the next array depends on what ran before, and a chunk whose pages malloc_trim gave back faults again."""
    done = subprocess.run([sys.executable, "-c", _FAULTS], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    reused, fresh = map(int, done.stdout.split())
    # at least one fault per 2 MiB (transparent huge pages) to one per 4 KiB page
    assert fresh >= 16 and reused * 10 < fresh, (reused, fresh)


def test_keep_freed_memory_setting_validates():
    with pytest.raises(ValueError, match="keep_freed_memory"):
        fnx.config.update("keep_freed_memory", -1)
    with pytest.raises(KeyError, match="keep_freed_memory"):
        fnx.config.update("keep_freed", 1)


def _loops(x, y, w, z, v):
    """A loop (40, 30) with a reduction keeping its outer axis and a donated buffer's update; a loop (50, 30)
    reducing across its outer axis (which stays serial); a 1-d loop."""
    a = fnp.tanh(x) * y + fnp.exp(-x * x)
    return a, fnp.sum(a * a, axis=1), w - 0.5 * x, fnp.max(z * 2.0, axis=0), fnp.sin(v) + 1.0


@pytest.mark.parametrize("threads", [1, 2])
def test_parallel_loops_compute_what_serial_loops_do(threads):
    """Both versions of each large loop (the load picks one at run time) give NumPy's results; with two
    threads free the parallel one runs, and sets Numba's thread count of the calling thread."""
    import numba
    if threads > numba.config.NUMBA_NUM_THREADS:
        pytest.skip("Numba has one thread here")
    rng = np.random.default_rng(0)
    x, y, w, z, v = (rng.standard_normal(shape) for shape in [(40, 30)] * 3 + [(50, 30), (2000,)])
    before, adapt = fnx.config.parallel_loops, fnx.config.adapt_blas_threads
    try:
        fnx.config.update("parallel_loops", 1000)
        fnx.config.update("adapt_blas_threads", False)  # the watcher would set the count from the load
        parallel = fnx.jit(_loops, donate_argnums=2)
        source = parallel.lower(x, y, w, z, v).as_text()
        parallel.lower(x, y, w, z, v).compile()
        numba.set_num_threads(1)
        loop_threads.follow(threads)
        got = parallel(x, y, fnp.asarray(w), z, v)
        assert numba.get_num_threads() == threads
    finally:
        fnx.config.update("parallel_loops", before)
        fnx.config.update("adapt_blas_threads", adapt)
        loop_threads.follow(numba.config.NUMBA_NUM_THREADS)
    assert source.count("numba.prange(") == 2 and source.count("parallel=True") == 2
    # 40 rows in 14 chunks of 3, 2000 in 16 of 125; each loop nest written once, run serially or by chunks
    assert "numba.prange(14)" in source and "min(40, (chunk + 1) * 3)" in source
    assert "numba.prange(16)" in source and "min(2000, (chunk + 1) * 125)" in source
    assert source.count("th.use_loop_threads() > 1") == 2 and source.count(", 0, 40))") == 1
    a = np.tanh(x) * y + np.exp(-x * x)
    expected = (a, np.sum(a * a, axis=1), w - 0.5 * x, np.max(z * 2.0, axis=0), np.sin(v) + 1.0)
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=1e-13)


def test_parallel_loops_off_and_by_size():
    rng = np.random.default_rng(1)
    x, y, w, z, v = (rng.standard_normal(shape) for shape in [(40, 30)] * 3 + [(50, 30), (2000,)])
    before = fnx.config.parallel_loops
    try:
        fnx.config.update("parallel_loops", 0)
        assert "prange" not in fnx.jit(_loops).lower(x, y, w, z, v).as_text()
        fnx.config.update("parallel_loops", 1500)  # the 2000-element loop only
        source = fnx.jit(_loops).lower(x, y, w, z, v).as_text()
    finally:
        fnx.config.update("parallel_loops", before)
    assert source.count("numba.prange(") == 1 and "min(2000, (chunk + 1) * 125)" in source


def test_loop_threads_follow_the_load_rule():
    """The watcher hands loops ``loop_threads.threads_for``'s count, never more than Numba's pool or fewer than
    one."""
    cores = os.cpu_count()
    openblas._follow(0.0, cores)
    assert loop_threads.COUNT.value == min(cores, loop_threads._limit)
    openblas._follow(cores - 0.9, cores)  # the other processes keep all but nine tenths of a core busy
    assert loop_threads.COUNT.value == min(cores, loop_threads._limit)  # loops' threads sleep while waiting
    openblas._follow(float(cores), cores)  # every core busy
    assert loop_threads.COUNT.value == 1
    loop_threads.follow(10_000)
    assert loop_threads.COUNT.value == loop_threads._limit
    loop_threads.follow(0)
    assert loop_threads.COUNT.value == 1
    openblas._follow(0.0, cores)


@pytest.mark.parametrize("others, cores, busy, expected", [
    (0.0, 2, False, 2), (1.0, 2, False, 2), (1.4, 2, False, 2), (1.5, 2, False, 1), (2.0, 2, False, 1),
    (0.0, 2, True, 1), (6.0, 8, False, 8), (7.6, 8, False, 1), (0.0, 1, False, 1)])
def test_loops_keep_every_core_unless_other_processes_keep_them_all_busy(others, cores, busy, expected):
    assert loop_threads.threads_for(others, cores, busy) == expected


def test_parallel_loops_setting_validates():
    with pytest.raises(ValueError, match="parallel_loops"):
        fnx.config.update("parallel_loops", -5)
