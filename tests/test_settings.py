"""fnx.config settings that are not about dtypes: the memory policy, parallel loops (docs/settings.md)."""
import platform
import resource

import numpy as np
import pytest

import fnx
import fnx.numpy as fnp
from fnx._memory import keep_freed_memory


def _faults_touching_a_fresh_array(nbytes: int) -> int:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    a = np.empty(nbytes, np.uint8)
    a[::4096] = 1  # touch every page
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
    del a
    return faults


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="the policy is glibc's mallopt")
def test_freed_memory_is_reused_without_page_faults():
    try:
        assert keep_freed_memory(256 << 20)
        _faults_touching_a_fresh_array(64 << 20)  # the heap grows once...
        reused = _faults_touching_a_fresh_array(64 << 20)  # ...and the next array reuses its pages
        assert keep_freed_memory(0)  # glibc's defaults: a big array is a fresh mapping, whose pages fault
        fresh = _faults_touching_a_fresh_array(64 << 20)
        # at least one fault per 2 MiB (transparent huge pages) to one per 4 KiB page
        assert fresh >= 16 and reused * 10 < fresh, (reused, fresh)
    finally:
        fnx.config.update("keep_freed_memory", fnx.config.keep_freed_memory)


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


def test_parallel_loops_compute_what_serial_loops_do():
    rng = np.random.default_rng(0)
    x, y, w, z, v = (rng.standard_normal(shape) for shape in [(40, 30)] * 3 + [(50, 30), (2000,)])
    try:
        fnx.config.update("parallel_loops", 1000)
        parallel = fnx.jit(_loops, donate_argnums=2)
        source = parallel.lower(x, y, w, z, v).as_text()
        got = parallel(x, y, fnp.asarray(w), z, v)
    finally:
        fnx.config.update("parallel_loops", 0)
    assert source.count("numba.prange(") == 2 and source.count("parallel=True") == 2
    assert "numba.prange(40)" in source and "numba.prange(2000)" in source
    a = np.tanh(x) * y + np.exp(-x * x)
    expected = (a, np.sum(a * a, axis=1), w - 0.5 * x, np.max(z * 2.0, axis=0), np.sin(v) + 1.0)
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=1e-13)
    assert "prange" not in fnx.jit(_loops).lower(x, y, w, z, v).as_text()  # off again: serial loops


def test_parallel_loops_setting_validates():
    with pytest.raises(ValueError, match="parallel_loops"):
        fnx.config.update("parallel_loops", -5)
