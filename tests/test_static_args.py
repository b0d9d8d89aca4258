"""jit's static arguments named either way: by name when passed by position, by position when passed by name."""
from __future__ import annotations

import numpy as np
import pytest

import fnx
import fnx.numpy as fnp
from fnx.transforms.static_args import static_both_ways


def _power(x, n, *, scale=1.0):
    out = x
    for _ in range(n - 1):  # Python control flow on n: n must be static
        out = out * x
    return out * scale


@pytest.mark.parametrize("static", [{"static_argnames": "n"}, {"static_argnums": 1}])
def test_static_argument_by_position_or_by_name(static):
    f = fnx.jit(_power, **static)
    x = np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(f(x, 3), x ** 3)
    np.testing.assert_allclose(f(x, n=2), x ** 2)
    np.testing.assert_allclose(f(x, 4, scale=2.0), 2 * x ** 4)


def test_keyword_only_static_names_and_unreadable_signatures():
    f = fnx.jit(_power, static_argnames=("n", "scale"))
    np.testing.assert_allclose(f(fnp.ones(2) * 2, 2, scale=3.0), [12.0, 12.0])
    assert static_both_ways(_power, [], ["n", "scale"]) == ({1}, {"n", "scale"})
    assert static_both_ways(_power, [0], []) == ({0}, {"x"})
    assert static_both_ways(max, [1], ["k"]) == ({1}, {"k"})  # a builtin: as given
