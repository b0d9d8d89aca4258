"""Batching rule of the ``fft`` primitive (fnx/lax/fft.py): it transforms the last axis and maps over the
others, so the batch axis goes first."""
from __future__ import annotations

from ...lax.fft import fft_p
from .engine import batch_to_front, batching_rules


def _fft_rule(values, dims, *, axis_size, fft_type, n):
    return fft_p.bind(batch_to_front(values[0], dims[0], axis_size), fft_type=fft_type, n=n), 0


batching_rules[fft_p] = _fft_rule
