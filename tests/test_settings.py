"""fnx.config settings that are not about dtypes: the memory policy (docs/settings.md)."""
import platform
import resource

import numpy as np
import pytest

import fnx
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
