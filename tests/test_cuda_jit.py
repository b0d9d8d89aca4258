"""The CUDA backend against fnx's CPU results, in Numba's simulator at small sizes: fused elementwise kernels,
reductions (block tree + second pass), the tiled matmul, structural index kernels, host-routed primitives,
host-driven control flow, and transforms (grad, vmap) lowered to the device. Floats agree to rounding (CUDA's
math functions against NumPy's, sums in another order); integer and shape operations exactly."""
import numpy as np
import pytest

from cuda_setup import GPU

import fnx
import fnx.nn
import fnx.numpy as fnp
from fnx import lax

RNG = np.random.default_rng(0)


@pytest.fixture(autouse=True)
def poisoned_pool(monkeypatch):
    """Every buffer the pool hands out starts as NaN (floats) or a large integer: a kernel that reads what no
    one wrote, or a buffer given back while still in use, shows in the results."""
    from fnx.lower.cuda import runtime
    take = runtime.BufferPool.take

    def poisoned(self, shape, dtype):
        buffer = take(self, shape, dtype)
        if buffer.size and np.dtype(dtype) != np.bool_:
            poison = np.nan if np.dtype(dtype).kind in "fc" else np.iinfo(dtype).max - 6
            buffer.copy_to_device(np.full(buffer.shape, poison, dtype))
        return buffer
    monkeypatch.setattr(runtime.BufferPool, "take", poisoned)


def check(f, *args, rtol=1e-6, atol=1e-6):
    """``jit(f)`` on the GPU equals ``f`` evaluated eagerly on the CPU (NumPy implementations)."""
    expected = fnx.tree_leaves(f(*fnx.tree_map(fnp.asarray, args)))
    got = fnx.tree_leaves(fnx.jit(f)(*fnx.device_put(list(args), GPU)))
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        assert g.device == GPU and g.shape == e.shape and g.dtype == e.dtype, (g, e)
        if e.dtype.kind in "biu":
            np.testing.assert_array_equal(np.asarray(g), np.asarray(e))
        else:
            np.testing.assert_allclose(np.asarray(g), np.asarray(e), rtol=rtol, atol=atol)


X32 = RNG.standard_normal((3, 5)).astype(np.float32)
Y32 = RNG.standard_normal((3, 5)).astype(np.float32)
X64 = RNG.standard_normal((2, 3, 4))
I32 = RNG.integers(-20, 20, (4, 6)).astype(np.int32)


@pytest.mark.parametrize("x", [X32, X64], ids=["f32", "f64"])
def test_fused_elementwise_chain(x):
    check(lambda x: fnp.tanh(x) * 2.0 + fnp.exp(-x * x) - fnp.sin(x) / (1.0 + fnp.abs(x)), x)
    check(lambda x: fnp.where(x > 0, fnp.log1p(x * x), fnp.expm1(x)) ** 2, x)
    check(lambda x: (fnx.nn.sigmoid(x), fnp.sqrt(fnp.abs(x)), fnp.maximum(x, 0.1), fnp.sign(x), fnp.arctan2(x, 1.5)), x)


def test_broadcasting_by_index_arithmetic():
    row, col = RNG.standard_normal((1, 5)), RNG.standard_normal((3, 1))
    check(lambda x, r, c: x * r + c - x.mean(), X32.astype(np.float64), row, col)
    check(lambda x, v: x + v[None, :, None], X64, RNG.standard_normal(3))


def test_unfused_elementwise_equations_cover_their_whole_shape():
    check(lambda x: (lax.stop_gradient(x), lax.stop_gradient(x[:, :1]) + 1.0, x.sum() * 2.0), X32 + 5.0)


def test_rounding_as_numpy():
    x = np.array([-2.5, -1.5, -0.5, -0.49999999999999994, -0.0, 0.0, 0.5, 1.5, 2.5, 2.4999, 7.0, 1e300, -np.inf,
                  np.inf, np.nan, 4503599627370497.0])
    check(lambda x: (fnp.floor(x), fnp.ceil(x), fnp.trunc(x), fnp.round(x)), x, rtol=0, atol=0)
    check(lambda x: (fnp.floor(x), fnp.ceil(x), fnp.trunc(x), fnp.round(x)), x.astype(np.float32), rtol=0, atol=0)


def test_integer_and_bool_ops_exactly():
    check(lambda a: (a + 3, a * a - a // 3, a % 7, -a, a >> 1, a & 5, a == 2, (a > 0) & (a < 5), a.astype(np.float32)), I32)
    check(lambda a: fnp.where(a > 0, a, 0).astype(np.int8) * np.int8(3), I32)


@pytest.mark.parametrize("axes", [None, 0, 1, (0, 2), 2])
def test_reductions_over_any_axes(axes):
    check(lambda x: (x.sum(axis=axes), x.max(axis=axes), x.min(axis=axes), fnp.prod(x, axis=axes)), X64)


def test_reductions_fused_with_elementwise_and_split_over_blocks():
    big = RNG.standard_normal(1000).astype(np.float32)  # 32 blocks' worth: partial results and a second pass
    check(lambda x: (fnp.sum(x * x), fnp.max(fnp.exp(x)), x - x.mean()), big, rtol=1e-5)
    check(lambda a: (a.sum(axis=1), a.max()), I32)
    check(lambda x: fnp.sum(fnp.where(fnp.isnan(x), 0.0, x)), np.array([1.0, np.nan, 2.0]))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dot_general_tiled_with_batch_axes(dtype):
    a = RNG.standard_normal((2, 5, 7)).astype(dtype)
    b = RNG.standard_normal((2, 7, 6)).astype(dtype)
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    check(lambda a, b: a @ b, a, b, rtol=rtol)
    check(lambda a, b: fnp.einsum("bij,bkj->bik", a, b.transpose(0, 2, 1)), a, b, rtol=rtol)
    check(lambda a, b: a[0].T @ a[1], a, b, rtol=rtol)
    check(lambda a, b: fnp.dot(a[0, 0], b[0, :, 0]), a, b, rtol=rtol)
    check(lambda a, c: lax.dot_general(a, c, (((1,), (1,)), ((0,), (0,)))), a, RNG.standard_normal((2, 5, 6)).astype(dtype), rtol=rtol)


def test_integer_matmul_exactly():
    check(lambda a: a @ a.T, I32)


def test_structural_index_kernels():
    check(lambda x: (x.transpose(2, 0, 1), x[:, ::2, 1:3], fnp.flip(x, (0, 2)), x.reshape(4, 6),
                     fnp.concatenate([x, x * 2, x[:, :1]], axis=1)), X64)
    check(lambda x: (lax.pad(x, 0.5, [(1, 2, 0), (-1, 1, 2), (0, 0, 1)]), fnp.arange(6) * 2,
                     lax.broadcasted_iota(np.int32, (3, 4), 1)), X64)


def test_dynamic_slices_bitcasts_and_the_prng():
    import fnx.random as fr
    check(lambda x, i: (lax.dynamic_slice(x, (i, 1), (2, 3)), lax.dynamic_update_slice(x, x[:2, :2] * 10, (i, i + 9)),
                        lax.bitcast_convert_type(x, np.int32)), X32, np.int32(2))
    check(lambda k: (fr.normal(k, (3, 4)), fr.uniform(fr.split(k)[1], (5,)), fr.randint(k, (4,), 0, 10)),
          fr.PRNGKey(7), rtol=1e-12)


def test_convolutions_and_their_gradients():
    x = RNG.standard_normal((2, 4, 6, 5))  # NCHW
    w = RNG.standard_normal((6, 2, 3, 2))  # OIHW, two feature groups
    conv = lambda x, w: lax.conv_general_dilated(x, w, (2, 1), [(1, 0), (0, 1)], rhs_dilation=(1, 2),  # noqa: E731
                                                 feature_group_count=2)
    check(conv, x, w, rtol=1e-10)
    check(fnx.grad(lambda x, w: fnp.sum(fnp.tanh(conv(x, w))), argnums=(0, 1)), x, w, rtol=1e-10)
    nhwc = lambda x, w: lax.conv_general_dilated(x, w, (1, 1), "SAME", lhs_dilation=(2, 1),  # noqa: E731
                                                 dimension_numbers=("NHWC", "HWIO", "NHWC"))
    check(nhwc, x.transpose(0, 2, 3, 1), RNG.standard_normal((2, 2, 4, 3)), rtol=1e-10)


def test_pooling_and_its_derivatives():
    x = RNG.standard_normal((2, 3, 5, 4)).astype(np.float32)
    pools = lambda x: (fnx.nn.max_pool(x, 2, layout="NCHW"), fnx.nn.avg_pool(x, (3, 2), 1, "SAME", layout="NCHW"))  # noqa: E731
    check(pools, x, rtol=1e-5)
    check(fnx.grad(lambda x: fnp.sum(fnx.nn.max_pool(x, 2, layout="NCHW") ** 2)), x, rtol=1e-5)
    check(lambda x: fnx.jvp(lambda x: fnx.nn.max_pool(x, 2, layout="NCHW"), (x,), (fnp.cos(x),)), x, rtol=1e-5)


def test_sort_argsort_and_key_value_sorts_are_stable():
    ties = np.array([[3.0, 1.0, np.nan, 1.0, -2.0, 3.0], [0.0, -0.0, 5.0, np.nan, np.nan, -1.0]])
    check(lambda x: (fnp.sort(x, axis=1), fnp.argsort(x, axis=1), fnp.sort(x, axis=0), fnp.argsort(x[0])), ties)
    check(lambda a, b: lax.sort((a, b, a * 10), num_keys=2, dimension=0), I32 % 3, I32)


def test_host_routed_primitives():
    check(lambda x: (fnp.cbrt(x * 3) + x, fnp.nextafter(x, 0.0).astype(np.float64) - x), X32, rtol=1e-5)
    spd = X64[0] @ X64[0].T + np.eye(3)
    check(lambda a: (fnp.linalg.eigvalsh(a), fnp.linalg.svd(a, compute_uv=False), fnp.linalg.slogdet(a)[1] * 2),
          spd, rtol=1e-10)


def test_complex_work_runs_on_the_host_with_the_cpu_code():
    """No CUDA kernel takes complexes (docs/complex.md): their equations run as the CPU backend's code on the
    host, the rest of the program on the device."""
    z = (RNG.standard_normal((3, 4)) + 1j * RNG.standard_normal((3, 4))).astype(np.complex64)

    def f(z, x):
        w = fnp.exp(z) * x + fnp.conj(z)
        return fnp.abs(w) + fnp.tanh(x), fnp.sum(w, axis=0), w @ w.T, fnp.fft.fft(w), lax.complex(x, x * 2)
    check(f, z, Y32[:, :4], rtol=1e-5, atol=1e-5)
    check(fnx.grad(lambda z, x: fnp.sum(fnp.abs(fnp.sin(z) * x))), z, Y32[:, :4], rtol=1e-5, atol=1e-5)
    h = z[:, :3] @ z[:, :3].conj().T + np.eye(3, dtype=np.complex64)
    check(lambda h: (fnp.linalg.eigvalsh(h), fnp.linalg.svd(h, compute_uv=False), fnp.linalg.slogdet(h)[1],
                     fnp.abs(fnp.linalg.cholesky(h)), fnp.abs(fnp.linalg.qr(h).R)), h, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_small_matrices_a_thread_each(dtype):
    a = (RNG.standard_normal((2, 3, 4, 4)) + 4 * np.eye(4)).astype(dtype)
    b = RNG.standard_normal((2, 3, 4, 2)).astype(dtype)
    spd = a @ a.transpose(0, 1, 3, 2)
    rtol = 1e-4 if dtype == np.float32 else 1e-10
    check(lambda a, b: (fnp.linalg.inv(a), fnp.linalg.solve(a, b), fnp.linalg.det(a), fnp.linalg.cholesky(spd),
                        fnp.linalg.cholesky(a - 10 * fnp.eye(4))), a, b, rtol=rtol, atol=rtol)


def test_arg_and_cumulative_reductions():
    ties = np.array([[1.0, 3.0, 3.0, -1.0], [np.nan, 2.0, np.nan, 0.0], [0.0, 0.0, 0.0, 0.0]])
    check(lambda x: (fnp.argmax(x, axis=1), fnp.argmin(x, axis=1), fnp.argmax(x, axis=0)), ties)
    long = RNG.standard_normal((2, 70)).astype(np.float32)  # more elements per line than threads
    check(lambda x: (fnp.argmax(x, axis=1), fnp.argmin(x, axis=1)), long)
    check(lambda x: (fnp.cumsum(x, axis=1), fnp.cumprod(x, axis=0), lax.cummax(x, axis=2, reverse=True),
                     fnp.all(x > -2, axis=1), fnp.any(x > 1.5), fnp.all(x > -5)), X64, rtol=1e-12)


def test_float32_running_sums_accumulate_in_float64():
    """As on the CPU (issue 16): a float32 running sum of 10**4 values of 0.1 added in float32 ends at 999.9029."""
    x = np.full((2, 10 ** 4), 0.1, np.float32)
    out = np.asarray(fnx.jit(lambda v: fnp.cumsum(v, axis=1))(fnx.device_put(x, GPU)))
    exact = np.arange(1, 10 ** 4 + 1) * float(np.float32(0.1))
    assert np.all(np.abs(out - exact) <= 2.0 ** -24 * exact + 1e-12)


def test_gather_and_scatter_with_atomics():
    idx = np.array([2, 0, 1, 2, 7, -9])  # out-of-range indices: gather clamps, scatter drops
    check(lambda x, i: (x[fnp.clip(i, 0, 2)], lax.gather(x, i[:, None]), fnp.take_along_axis(x, fnp.argsort(x, axis=1), 1)),
          X32, idx)
    check(lambda x, i: (x.at[i[:4]].add(1.0), lax.scatter(x, i[:, None], fnp.ones((6, 5), np.float32), "add"),
                        x.at[i[:3]].set(x[0] * 2), x.at[:, 1].max(0.5), x.at[i[:4]].multiply(2.0)), X32, idx)
    check(lambda a, i: a.at[i[:4]].add(a[0]), I32, idx)


def test_control_flow_driven_from_the_host():
    def scanned(xs, c):
        def step(carry, x):
            carry = carry * 0.5 + x
            return carry, fnp.tanh(carry).sum()
        return lax.scan(step, c, xs)
    check(scanned, X32, np.zeros(5, np.float32), rtol=1e-5)
    check(lambda x: lax.while_loop(lambda c: c[1] < 4, lambda c: (c[0] * 1.5 + 1.0, c[1] + 1), (x, 0)), X32)
    check(lambda x: lax.fori_loop(0, 3, lambda i, c: c + i * c.sum(), x), X64)
    check(lambda p, x: lax.cond(p > 0, lambda x: x * 2.0, lambda x: x - 1.0, x), np.float32(1.0), X32)
    check(lambda p, x: lax.cond(p > 0, lambda x: x * 2.0, lambda x: x - 1.0, x), np.float32(-1.0), X32)


def test_transforms_lower_to_the_device():
    w, x = RNG.standard_normal((5, 4)), RNG.standard_normal((3, 5))

    def loss(w, x):
        return fnp.mean(fnp.tanh(x @ w) ** 2)
    check(fnx.grad(loss), w, x, rtol=1e-10)
    check(fnx.vmap(lambda v: fnp.dot(v, v) * v), x, rtol=1e-12)
    check(fnx.jit(lambda w, x: fnx.value_and_grad(loss)(w, x)), w, x, rtol=1e-10)


def test_sgd_updates_fold_into_the_matmul():
    from fnx.lower.cuda.compile import CudaExecutable
    from fnx.lower.cuda.rules_linalg import MatmulStep

    def step(w, x, y):
        return w - 0.1 * fnx.grad(lambda w: fnp.sum((x @ w - y) ** 2))(w)
    w, x, y = RNG.standard_normal((5, 3)), RNG.standard_normal((4, 5)), RNG.standard_normal((4, 3))
    check(step, w, x, y, rtol=1e-10)
    closed = fnx.make_jaxpr(step)(w, x, y)
    steps = CudaExecutable(closed.jaxpr, closed.consts, GPU).program.steps
    assert any(isinstance(s, MatmulStep) and "w[p] -" in s.source for s in steps)


def test_a_training_step_on_the_device_equals_the_cpu():
    w = [RNG.standard_normal((6, 8)) * 0.3, np.zeros(8), RNG.standard_normal((8, 3)) * 0.3]
    x, labels = RNG.standard_normal((4, 6)), np.array([0, 2, 1, 2])

    def step(params, x, labels):
        def loss(params):
            w1, b1, w2 = params
            logits = fnp.tanh(x @ w1 + b1) @ w2
            return -fnp.mean(fnx.nn.log_softmax(logits)[fnp.arange(4), labels])
        grads = fnx.grad(loss)(params)
        return [p - 0.1 * g for p, g in zip(params, grads)], loss(params)
    check(step, w, x, labels, rtol=1e-10)


def test_device_rules_leave_nothing_to_the_host():
    """The primitives with CUDA rules are planned as device steps (no HostStep in their programs)."""
    from fnx.lower.cuda.compile import CudaExecutable
    from fnx.lower.cuda.steps import HostStep

    def f(x, i):
        y = fnp.tanh(x @ x.T).sum(axis=0) + fnp.cumsum(x, axis=1)[:, 0]
        z = lax.scan(lambda c, r: (c + r, c.max()), x[0], x)[0]
        pooled = fnx.grad(lambda x: fnp.sum(fnx.nn.max_pool(x[None, None], 2)))(x)
        conv = lax.conv_general_dilated(x[None, None], x[None, None, :2, :2], (1, 1), "SAME")
        return (fnp.argmax(x, axis=1), x[i].at[i].add(1.0), fnp.all(x > 0, axis=0), y, z, pooled, conv,
                fnp.concatenate([x, lax.pad(x, 0.0, [(1, 0, 0), (0, 1, 1)])[:3, :5]]).transpose())
    closed = fnx.make_jaxpr(f)(X32, np.array([0, 2]))
    program = CudaExecutable(closed.jaxpr, closed.consts, GPU).program
    kinds = [type(s).__name__ for s in program.steps]
    assert "HostStep" not in kinds, kinds
    assert not any(isinstance(s, HostStep) for sub in program._programs.values() for s in sub.steps)


def _battery():
    import test_jit as battery
    args = (battery.RNG.uniform(0.1, 0.9, 6).astype(np.float32), battery.RNG.uniform(0.1, 0.9, 6), np.float64(0.3),
            np.array([-7, -2, 0, 3, 9, 100], np.int32), np.array([0, 1, 7, 128, 255, 3], np.uint8),
            np.array([True, False, True, False, True, False]))
    return {"elementwise_and_reductions": (battery.elementwise_and_reductions, (battery.X, battery.I)),
            "shapes_and_products": (battery.shapes_and_products, (battery.X, battery.Y)),
            "every_elementwise_primitive": (battery.every_elementwise_primitive, args),
            "scan": (battery.rnn_loss, (battery.W, battery.XS)),
            "grad_of_scan": (fnx.grad(battery.rnn_loss), (battery.W, battery.XS)),
            "custom_rules_nested_jit": (battery.the_remaining_primitives, (battery.X, battery.I))}


@pytest.mark.parametrize("name", ["elementwise_and_reductions", "shapes_and_products", "every_elementwise_primitive",
                                  "scan", "grad_of_scan", "custom_rules_nested_jit"])
def test_the_cpu_jit_battery_on_the_gpu(name):
    """tests/test_jit.py's battery (the one test_tiers.py compares the tiers on), on the GPU."""
    f, args = _battery()[name]
    with np.errstate(all="ignore"):
        check(f, *args, rtol=2e-6, atol=1e-7)


def test_transform_compositions_on_the_device():
    x = RNG.standard_normal(3)

    def f(x):
        return fnp.sum(fnp.sin(x) * fnp.exp(x[::-1])) + fnp.prod(fnp.tanh(x))
    check(fnx.hessian(f), x, rtol=1e-10, atol=1e-12)
    check(fnx.jacrev(fnx.jacfwd(lambda x: fnp.cumsum(x ** 3))), x, rtol=1e-10, atol=1e-12)
    check(fnx.vmap(fnx.grad(f)), np.stack([x, -x]), rtol=1e-10)
    check(lambda x: fnx.jvp(fnx.grad(f), (x,), (fnp.ones(3),)), x, rtol=1e-10)


def test_the_epoch_scan_workload_matches_numpy():
    """The benchmark's epoch (one scan of SGD steps over batches) at its quick size, against its float64
    NumPy reference, as benchmarks/run.py --device gpu checks it."""
    import sys
    from pathlib import Path
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
    import worker
    import workloads
    F = worker.load_framework("fnx", None, "gpu")
    epoch = workloads.BY_NAME["epoch"]
    result = F.block(epoch.traced(F)(*F.put(epoch.inputs(True))))
    assert all(leaf.device == GPU for leaf in fnx.tree_leaves(result))
    assert workloads.compare(workloads.leaves(result), workloads.reference(epoch, True), epoch.tolerance) is None


def test_loops_recycle_their_carries_through_the_pool():
    """After its first steps a scan allocates nothing: each step's carries and ys go back to the pool."""
    from fnx.lower.cuda import runtime
    allocated = []
    take = runtime.BufferPool.take

    def counting(self, shape, dtype):
        before = sum(map(len, self._free.values()))
        buffer = take(self, shape, dtype)
        allocated.append(sum(map(len, self._free.values())) == before)  # nothing was free of that kind
        return buffer

    def loop(c, xs):
        return lax.scan(lambda c, x: ((c[0] * 0.5 + x, c[1].reshape(4, 1).reshape(4) + 1.0), fnp.tanh(c[0])), c, xs)
    c = (np.zeros(4), np.ones(4))
    xs = RNG.standard_normal((12, 4))
    check(loop, c, xs, rtol=1e-12)
    runtime.BufferPool.take = counting
    try:
        fnx.jit(loop)(*fnx.device_put([c, xs], GPU))
    finally:
        runtime.BufferPool.take = take
    assert sum(allocated) <= 6, allocated  # the first steps and the stacked ys (37 of 43 without recycling)
