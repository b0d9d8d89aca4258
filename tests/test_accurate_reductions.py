"""float32 reductions stay accurate at large sizes, eagerly and under jit (issue 16, item 1).

fnx accumulates float32 sums, products and running sums in float64 (docs/failures.md, "Float reductions"), so
a float32 result is within ``|exact| * u32 + n * u64 * sum(|x|)`` of the exact value (u32 = 2**-24 and
u64 = 2**-53, the unit roundoffs). The references below are exact in float64 arithmetic (or nearly so: NumPy's
pairwise float64 sum). Sizes go to 10**8 elements, made from broadcasts so that no 10**8-element array is
needed; the jitted functions are shared between tests."""
import numpy as np
import pytest

import fnx
import fnx.numpy as fnp

U32, U64 = 2.0 ** -24, 2.0 ** -53


def bound(exact, n: int, abs_sum) -> np.ndarray:
    """The documented error bound for a float32 result of a float64-accumulated reduction of n terms."""
    return np.abs(exact) * U32 + n * U64 * np.asarray(abs_sum) + np.finfo(np.float32).tiny


def check(result, exact, n: int, abs_sum) -> None:
    result = np.asarray(result)
    assert result.dtype == np.float32
    err = np.abs(result.astype(np.float64) - exact)
    assert np.all(err <= bound(exact, n, abs_sum)), (err, bound(exact, n, abs_sum))


jit_sum = fnx.jit(fnp.sum)
jit_sum_rows = fnx.jit(lambda x: fnp.sum(x, axis=0))
jit_mean = fnx.jit(fnp.mean)
jit_var = fnx.jit(fnp.var)
jit_logsumexp = fnx.jit(fnp.logsumexp)
jit_cumsum = fnx.jit(fnp.cumsum)
jit_norm = fnx.jit(fnp.linalg.norm)


@pytest.mark.parametrize("mode", ["eager", "jit"])
@pytest.mark.parametrize("n, value", [(2 ** 25, 1.0), (10 ** 7, 0.1)])
def test_sum_of_constants(mode, n, value):
    x = np.full(n, value, np.float32)
    exact = n * float(np.float32(value))  # exact in float64 for these n
    check((jit_sum if mode == "jit" else fnp.sum)(x), exact, n, exact)


N8 = 10 ** 8
jit_sum_broadcast = fnx.jit(lambda v: fnp.sum(fnp.broadcast_to(v, (N8,))))
jit_sum_of_all_sums = fnx.jit(lambda a, b: fnp.sum(a[:, None] + b[None, :]))


@pytest.mark.parametrize("mode", ["eager", "jit"])
def test_sum_of_10_to_the_8_constants_in_little_memory(mode):
    """10**8 terms without 10**8 floats in memory: a broadcast scalar is a zero-stride view eagerly, and
    under jit the fused loop reads the scalar (2 MiB of peak memory, not 400)."""
    v = np.float32(0.1)
    result = jit_sum_broadcast(v) if mode == "jit" else fnp.sum(fnp.broadcast_to(v, (N8,)))
    exact = N8 * float(v)
    check(result, exact, N8, exact)


def test_sum_of_10_to_the_8_distinct_values_in_little_memory():
    """The 10**8 sums a_i + b_j of two 10**4 vectors, added up in the fused loop that computes them (3 MiB of
    peak memory); the float64 reference sums the same float32 terms 10**7 at a time."""
    rng = np.random.default_rng(4)
    a, b = rng.normal(5.0, 1.0, 10 ** 4).astype(np.float32), rng.normal(0.0, 1.0, 10 ** 4).astype(np.float32)
    exact = abs_sum = 0.0
    for i in range(0, len(a), 1000):
        chunk = (a[i:i + 1000, None] + b[None, :]).astype(np.float64)
        exact, abs_sum = exact + chunk.sum(), abs_sum + np.abs(chunk).sum()
    check(jit_sum_of_all_sums(a, b), exact, N8, abs_sum)


@pytest.mark.parametrize("mode", ["eager", "jit"])
def test_mean_and_variance_of_normal_values(mode):
    x = np.random.default_rng(0).normal(5.0, 1.0, 10 ** 7).astype(np.float32)
    wide = x.astype(np.float64)
    mean, var = (jit_mean, jit_var) if mode == "jit" else (fnp.mean, fnp.var)
    # mean: the sum's bound divided by n, plus the division's rounding
    check(mean(x), wide.mean(), len(x), np.abs(wide).sum() / len(x))
    # var: the centring uses the float32 mean, whose error enters squared; ~1e-6 relative is float32's level
    assert abs(float(var(x)) - wide.var()) <= 4 * U32 * wide.var()


@pytest.mark.parametrize("mode", ["eager", "jit"])
def test_column_sums(mode):
    x = np.random.default_rng(1).normal(5.0, 1.0, (10 ** 6, 4)).astype(np.float32)
    wide = x.astype(np.float64)
    check((jit_sum_rows if mode == "jit" else lambda v: fnp.sum(v, axis=0))(x), wide.sum(0), len(x),
          np.abs(wide).sum(0))


@pytest.mark.parametrize("mode", ["eager", "jit"])
def test_logsumexp_and_norm(mode):
    x = np.random.default_rng(2).uniform(-1.0, 1.0, 10 ** 7).astype(np.float32)
    wide = x.astype(np.float64)
    logsumexp, norm = (jit_logsumexp, jit_norm) if mode == "jit" else (fnp.logsumexp, fnp.linalg.norm)
    exact = np.log(np.exp(wide - 1.0).sum()) + 1.0
    # exp's own few-ulp error (vecmath) on every term, then the sum's and the log's roundings
    assert abs(float(logsumexp(x)) - exact) <= 8 * U32 * abs(exact)
    assert abs(float(norm(x)) - np.sqrt((wide * wide).sum())) <= 4 * U32 * np.sqrt((wide * wide).sum())


@pytest.mark.parametrize("mode", ["eager", "jit"])
def test_running_sum(mode):
    x = np.full(10 ** 7, 0.1, np.float32)
    out = np.asarray((jit_cumsum if mode == "jit" else fnp.cumsum)(x))
    exact = np.arange(1, len(x) + 1) * float(np.float32(0.1))
    picks = np.array([0, 1000, 10 ** 5, 10 ** 6, len(x) - 1])
    check(out[picks], exact[picks], len(x), exact[picks])


@pytest.mark.parametrize("mode", ["eager", "jit"])
def test_gradient_of_a_broadcast_accumulates_accurately(mode):
    """Reverse mode sums the cotangents of a broadcast scalar over 10**7 positions."""
    x = np.full(10 ** 7, 0.1, np.float32)
    grad = fnx.grad(lambda b, v: fnp.sum(v * b), argnums=0)
    g = (fnx.jit(grad) if mode == "jit" else grad)(np.float32(3.0), x)
    exact = len(x) * float(np.float32(0.1))
    check(g, exact, len(x), exact)


def test_float32_products_accumulate_accurately():
    x = np.random.default_rng(3).uniform(0.999, 1.001, 10 ** 6).astype(np.float32)
    exact = np.exp(np.log(x.astype(np.float64)).sum())
    for result in (fnp.prod(x), fnx.jit(fnp.prod)(x)):
        assert abs(float(result) - exact) <= 4 * U32 * exact


# -- reverse mode's own accumulations: the sums a gradient introduces --------------------------------------------

def _scan_of_a_weight(w, xs):
    """sum_t w * x_t as a scan: the gradient of w is the backward scan's accumulated cotangent, sum_t x_t."""
    from fnx import lax
    return lax.scan(lambda c, x: (c + w * x, None), np.float32(0.0), xs)[0]


grad_scan_weight = fnx.grad(_scan_of_a_weight)
jit_grad_scan_weight = fnx.jit(grad_scan_weight)


@pytest.mark.parametrize("mode", ["eager", "jit"])
def test_gradient_of_a_loop_constant_accumulates_accurately(mode):
    """The backward scan sums each step's share of a loop constant's cotangent over 10**6 steps (in float32 it
    was 100958.34 for 100000; JAX gives that too). Eager scans step in Python: 10**4 steps (was 999.9029)."""
    xs = np.full(10 ** 6 if mode == "jit" else 10 ** 4, 0.1, np.float32)
    g = (jit_grad_scan_weight if mode == "jit" else grad_scan_weight)(np.float32(2.0), xs)
    exact = len(xs) * float(np.float32(0.1))
    check(g, exact, len(xs), exact)


@pytest.mark.parametrize("mode", ["eager", "jit"])
def test_gradient_of_a_gather_accumulates_accurately(mode):
    """A gather's transpose scatter-adds 10**6 cotangents into one slot (in float32: 100958.34, as JAX)."""
    index = np.zeros(10 ** 6, np.int32)
    grad = fnx.grad(lambda v: fnp.sum(v[index] * np.float32(0.1)))
    g = np.asarray((fnx.jit(grad) if mode == "jit" else grad)(np.ones(3, np.float32)))
    exact = len(index) * float(np.float32(0.1))
    check(g, np.array([exact, 0.0, 0.0]), len(index), np.array([exact, 0.0, 0.0]))


@pytest.mark.parametrize("mode", ["eager", "jit"])
def test_gradient_of_a_running_sum_accumulates_accurately(mode):
    """cumsum's transpose is a reversed running sum of the cotangents (here 0.1 at each of 10**6 positions)."""
    grad = fnx.grad(lambda v: fnp.sum(fnp.cumsum(v) * np.float32(0.1)))
    g = np.asarray((fnx.jit(grad) if mode == "jit" else grad)(np.ones(10 ** 6, np.float32)))
    exact = (len(g) - np.array([0, 1000, len(g) - 1])) * float(np.float32(0.1))
    check(g[[0, 1000, -1]], exact, len(g), exact)
