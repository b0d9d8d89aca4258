"""fnx.lower.cpu.vecmath: accuracy in ulp against NumPy/SciPy over the whole float range, special values,
agreement of the scalar / array / ufunc forms, and that the loops vectorize."""
from __future__ import annotations

import functools
import hashlib
import pathlib
import platform
import re

import numba
import numpy as np
import pytest
import scipy.special
from hypothesis import given, settings
from hypothesis import strategies as st

import fnx.lower.cpu.vecmath as vm

UNARY = ["exp", "expm1", "log", "log1p", "tanh", "logistic", "sin", "cos", "erf"]
DTYPES = [np.float32, np.float64]
# Measured maxima over ~40M arguments per function (all 2**32 for float32 tanh and logistic) are in
# docs/vecmath.md; these bounds leave a margin.
MAX_ULP = 3.0
OWN_MAX_ULP = {("tanh", np.float32): 3.5,  # measured 3.06
               ("erf", np.float64): 4.0}  # SciPy's own error (the reference) adds one
LONG_DOUBLE_OK = np.finfo(np.longdouble).nmant >= 63  # x86 80-bit: references for float64 results


@numba.njit(cache=True, error_model="numpy")
def all_unary(x):
    """Every unary function through its scalar form (the form generated loops use), stacked: (9, n)."""
    out = np.empty((9, x.size), x.dtype)
    for i in range(x.size):
        v = x[i]
        out[0, i], out[1, i], out[2, i] = vm.exp(v), vm.expm1(v), vm.log(v)
        out[3, i], out[4, i], out[5, i] = vm.log1p(v), vm.tanh(v), vm.logistic(v)
        out[6, i], out[7, i], out[8, i] = vm.sin(v), vm.cos(v), vm.erf(v)
    return out


def max_ulp(name: str, dtype) -> float:
    return OWN_MAX_ULP.get((name, dtype), MAX_ULP)


def scalar_loops(x):
    """exp and sin in one explicit loop; not cached, so that its machine code can be inspected."""
    out_exp, out_sin = np.empty_like(x), np.empty_like(x)
    for i in range(x.size):
        out_exp[i] = vm.exp(x[i])
        out_sin[i] = vm.sin(x[i])
    return out_exp, out_sin


def tanh_logistic_loop(x):
    """The loop of the benchmark `elementwise`, as fnx generates it; not cached either."""
    out = np.empty_like(x)
    for i in range(x.size):
        out[i] = vm.tanh(x[i]) * vm.logistic(x[i]) + x[i] * x[i] - x.dtype.type(0.5) * x[i]
    return out


@numba.njit(cache=True, error_model="numpy")
def array_forms(x):
    """exp and sin applied to whole arrays (of any layout)."""
    return vm.exp(x), vm.sin(x[::-1])


@numba.njit(cache=True, error_model="numpy")
def pow_forms(x, y):
    """pow as array-array, array-scalar and scalar-array: (3, n)."""
    out = np.empty((3, x.size), x.dtype)
    out[0] = vm.pow(x, y)
    out[1] = vm.pow(x, y[0])
    out[2] = vm.pow(x[0], y)
    return out


def drop_stale_numba_cache(*functions):
    """Numba's disk cache of the functions above is keyed on this file only, not on vecmath.py inlined into
    them: empty it whenever vecmath's source differs from the one it was compiled with."""
    stamp = hashlib.sha256(pathlib.Path(vm.__file__).read_bytes()).hexdigest()
    record = pathlib.Path(functions[0]._cache.cache_path) / "test_vecmath.vecmath-sha256"
    if not record.is_file() or record.read_text() != stamp:
        for function in functions:
            function._cache.flush()
        record.parent.mkdir(parents=True, exist_ok=True)
        record.write_text(stamp)


drop_stale_numba_cache(all_unary, array_forms, pow_forms)


def reference(name: str, x: np.ndarray, y: np.ndarray | None = None) -> np.ndarray:
    """The function in higher precision: float64 for float32 arguments, long double for float64 ones."""
    wide = np.longdouble if x.dtype == np.float64 else np.float64
    with np.errstate(all="ignore"):
        xw = x.astype(wide)
        if name == "logistic":
            return 1 / (1 + np.exp(-xw))
        if name == "erf":  # SciPy's float64 erf (about 1 ulp) is the best reference at hand
            return scipy.special.erf(x.astype(np.float64)).astype(wide)
        if name == "pow":
            return np.power(xw, y.astype(wide))
        return getattr(np, name)(xw)


def ulp_error(result: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """|result - ref| in ulps of the result type at ref; 0 where both are the same infinity or nan."""
    info = np.finfo(result.dtype)
    ref = ref.astype(np.longdouble)
    with np.errstate(all="ignore"):
        _, exponent = np.frexp(ref.astype(np.float64))
        ulp = np.ldexp(np.longdouble(1), np.maximum(exponent - info.nmant - 1, info.minexp - info.nmant))
        err = np.abs(result.astype(np.longdouble) - ref) / ulp
    same_special = (np.isnan(ref) & np.isnan(result)) | (np.isinf(ref) & (ref == result))
    return np.where(same_special, 0, err)


def sweep(dtype, n: int = 200_000, seed: int = 0) -> np.ndarray:
    """Bit patterns evenly spread over the whole type (every exponent, both signs) plus random normals."""
    itype = np.uint32 if dtype == np.float32 else np.uint64
    top = np.iinfo(itype).max
    bits = (np.arange(n, dtype=np.float64) * (top / n)).astype(itype) if dtype == np.float32 else \
        (np.arange(n, dtype=np.uint64) * np.uint64(top // n))
    rng = np.random.default_rng(seed)
    return np.concatenate([bits.view(dtype), rng.normal(0, 3, n).astype(dtype)])


@functools.lru_cache(maxsize=None)
def unary_results(dtype):
    x = sweep(dtype)
    return x, all_unary(x)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("name", UNARY)
def test_unary_accuracy_over_the_whole_range(name, dtype):
    if dtype == np.float64 and not LONG_DOUBLE_OK:
        pytest.skip("no long double reference on this platform")
    x, results = unary_results(dtype)
    out = results[UNARY.index(name)]
    ref = reference(name, x)
    with np.errstate(over="ignore"):
        finite = np.isfinite(ref.astype(dtype))
    err = ulp_error(out[finite], ref[finite])
    worst = int(np.argmax(err))
    assert err[worst] <= max_ulp(name, dtype), \
        f"{name}({x[finite][worst]!r}) = {out[finite][worst]!r}, ref {ref[finite][worst]}"


def float32_range(lo: float, hi: float, step: int) -> np.ndarray:
    """Every `step`-th float32 from lo up to hi (0 <= lo < hi)."""
    bits = np.arange(np.float32(lo).view(np.uint32), np.float32(hi).view(np.uint32), step, dtype=np.uint32)
    return bits.view(np.float32)


def both_signs(x: np.ndarray) -> np.ndarray:
    return np.concatenate([x, -x])


@pytest.mark.parametrize("name, lo, hi", [("tanh", 2.0 ** -12, 9.1), ("logistic", 2.0 ** -40, 104.0)])
def test_float32_tanh_and_logistic_densely(name, lo, hi):
    """float32 tanh and logistic (algorithms of their own) where their errors are: millions of arguments."""
    x = both_signs(float32_range(lo, hi, 97))
    out = getattr(vm, name)(x)
    ref = reference(name, x)
    err = ulp_error(out, ref)
    worst = int(np.argmax(err))
    assert err[worst] <= max_ulp(name, np.float32), f"{name}({x[worst]!r}) = {out[worst]!r}, ref {ref[worst]}"


def test_float32_tanh_and_logistic_edges():
    tiny = both_signs(float32_range(0.0, 2.0 ** -12, 4099))  # tanh(x) rounds to x, zeros and subnormals too
    assert np.array_equal(vm.tanh(tiny), tiny) and np.array_equal(np.signbit(vm.tanh(tiny)), np.signbit(tiny))
    saturated = both_signs(float32_range(9.011, 3e38, 100_003))  # tanh(x) rounds to +-1 from 9.0109 on
    assert np.array_equal(vm.tanh(saturated), np.sign(saturated))
    assert vm.logistic(np.float32(0.0)) == 0.5 and vm.logistic(np.float32(-0.0)) == 0.5
    deep = -float32_range(87.0, 110.0, 1009)  # subnormal results, then 0
    assert np.all(ulp_error(vm.logistic(deep), reference("logistic", deep)) <= max_ulp("logistic", np.float32))


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_special_values_match_numpy(dtype):
    with np.errstate(all="ignore"):
        info = np.finfo(dtype)
        x = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1.0, -1.0, info.max, -info.max, info.tiny,
                      info.smallest_subnormal, -info.smallest_subnormal, 1e30, -1e30, 200.0, -200.0, 800.0,
                      -800.0], dtype=dtype)
    results = all_unary(x)
    for name, out in zip(UNARY, results):
        with np.errstate(over="ignore"):
            ref = reference(name, x).astype(dtype)
        assert np.array_equal(np.isnan(out), np.isnan(ref)), (name, x, out, ref)
        exact = np.isinf(ref) | (ref == 0) | np.isinf(out) | (out == 0)
        assert np.array_equal(out[exact], ref[exact]), (name, x[exact], out[exact], ref[exact])
        assert np.array_equal(np.signbit(out[exact]), np.signbit(ref[exact])), (name, x[exact], out[exact])


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_subnormal_results_are_produced_not_flushed(dtype):
    info = np.finfo(dtype)
    x = np.log(np.array([info.tiny / 3, info.tiny / 1000, info.smallest_subnormal * 5], dtype=np.float64))
    x = x.astype(dtype)
    out = all_unary(x)[0]
    assert np.all((out > 0) & (out < info.tiny))
    assert np.all(ulp_error(out, reference("exp", x)) <= 1.0)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_scalar_array_and_python_forms_agree_bitwise(dtype):
    x = sweep(dtype, n=2000, seed=1)
    scalars = all_unary(x)
    out_exp, out_sin_reversed = array_forms(x)
    assert np.array_equal(out_exp, scalars[0], equal_nan=True)
    assert np.array_equal(out_sin_reversed[::-1], scalars[6], equal_nan=True)
    python_exp = vm.exp(x.reshape(2, -1))  # the Python-level ufunc (compiled separately); any shape
    assert python_exp.dtype == dtype
    assert np.array_equal(python_exp.ravel(), scalars[0], equal_nan=True)


def test_sin_cos_of_huge_arguments():
    """Exact reduction: the worst case for float64 (closest to a multiple of pi/2) and large float32s."""
    hard = np.array([6381956970095103.0 * 2.0 ** 797, 1e300, -1e22, 2.0 ** 1000], dtype=np.float64)
    out = all_unary(hard)
    if LONG_DOUBLE_OK:
        assert np.all(ulp_error(out[6], reference("sin", hard)) <= 1.0)
        assert np.all(ulp_error(out[7], reference("cos", hard)) <= 1.0)
    big32 = np.array([3e38, -1e38, 16367173 * 2.0 ** 72, 1e10, 12582912.0], dtype=np.float32)
    out32 = all_unary(big32)
    assert np.all(ulp_error(out32[6], reference("sin", big32)) <= 1.0)
    assert np.all(ulp_error(out32[7], reference("cos", big32)) <= 1.0)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_pow_accuracy_and_forms(dtype):
    if dtype == np.float64 and not LONG_DOUBLE_OK:
        pytest.skip("no long double reference on this platform")
    rng = np.random.default_rng(2)
    n = 100_000
    x = np.abs(sweep(dtype, n // 2, seed=3))
    # y with |y log x| up to the overflow threshold, where errors in log x are amplified the most
    limit = np.log(np.finfo(dtype).max)
    with np.errstate(all="ignore"):
        y = (rng.uniform(-1.05, 1.05, x.size) * limit / np.maximum(np.abs(np.log(x.astype(np.float64))), 1e-3))
    y = np.where(rng.random(x.size) < 0.2, np.round(y), y).astype(dtype)
    forms = pow_forms(x, y)
    ref = reference("pow", x, y)
    with np.errstate(over="ignore"):
        finite = np.isfinite(ref.astype(dtype))
    assert np.max(ulp_error(forms[0][finite], ref[finite])) <= max_ulp("pow", dtype)
    assert np.array_equal(forms[1], pow_forms(x, np.full_like(y, y[0]))[0], equal_nan=True)
    assert np.array_equal(forms[2], pow_forms(np.full_like(x, x[0]), y)[0], equal_nan=True)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_pow_special_cases_match_numpy(dtype):
    values = np.array([0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.0, -2.0, 3.0, -3.0, np.inf, -np.inf, np.nan, 1e-30,
                       1e30], dtype=dtype)
    x, y = (a.ravel() for a in np.meshgrid(values, values))
    out = pow_forms(x, y)[0]
    with np.errstate(all="ignore"):
        ref = np.power(x, y)
    assert np.array_equal(np.isnan(out), np.isnan(ref))
    exact = np.isinf(ref) | (ref == 0) | (ref == 1) | (ref == -1)
    assert np.array_equal(out[exact], ref[exact])
    assert np.array_equal(np.signbit(out[exact]), np.signbit(ref[exact]))


@settings(max_examples=30, deadline=None)
@given(st.floats(width=32, allow_nan=False), st.floats(width=32, allow_nan=False))
def test_pow_float32_random_pairs(a, b):
    x, y = np.array([abs(a), -abs(a)], np.float32), np.array([b, np.round(b)], np.float32)
    out = pow_forms(x, y)[0]
    ref = reference("pow", x, y)
    with np.errstate(over="ignore"):
        ref32 = ref.astype(np.float32)
    assert np.array_equal(np.isnan(out), np.isnan(ref32))
    finite = np.isfinite(ref32)
    assert np.all(ulp_error(out[finite], ref[finite]) <= max_ulp("pow", np.float32))


@pytest.mark.skipif(platform.machine() not in ("x86_64", "AMD64"), reason="checks x86 SIMD instructions")
def test_loops_vectorize():
    loops = numba.njit(error_model="numpy")(scalar_loops)
    loops(np.ones(8, np.float32))
    asm = loops.inspect_asm(loops.signatures[0])
    # packed SIMD arithmetic: mulps/addpd/vfmadd213ps ... (scalar code would be mulss/addsd)
    assert len(re.findall(r"\bv?(?:mul|add|sub|div|fmadd\d+)p[sd]\b", asm)) > 30
    loop = numba.njit(error_model="numpy")(tanh_logistic_loop)
    loop(np.ones(8, np.float32))
    asm = loop.inspect_asm(loop.signatures[0])
    assert len(re.findall(r"\bv?divps\b", asm)) >= 2  # the one division of each, on packed float32


def test_mixed_precisions_are_rejected_in_numba_code():
    @numba.njit
    def mixed(x, y):
        return vm.pow(x, y)
    with pytest.raises(numba.core.errors.TypingError):
        mixed(np.float32(1), 2.0)
