"""jit's donate_argnums: outputs written into donated buffers, donated Arrays deleted, nobody else's data lost.

A donated buffer may be overwritten only where that cannot change a result: each test compares the donating
function's results with NumPy's on a fresh copy of the inputs.
"""
import numpy as np
import pytest

import fnx
import fnx.numpy as fnp
from fnx.core.errors import DeletedArrayError, FnxTypeError

RNG = np.random.default_rng(3)
W = RNG.standard_normal((4, 5)).astype(np.float32)
G = RNG.standard_normal((4, 5)).astype(np.float32)
B = RNG.standard_normal(5).astype(np.float32)


def _address(a) -> int:
    return a._value.__array_interface__["data"][0]


def sgd(params, grads):
    """A step that returns values of the params' shapes: each can take its param's buffer."""
    return fnx.tree_map(lambda p, g: p - 0.5 * g, params, grads), fnp.sum(params["w"] * params["w"])


SGD = fnx.jit(sgd, donate_argnums=0)


def test_outputs_take_the_donated_buffers_and_donated_arrays_are_deleted():
    params, grads = {"w": fnp.asarray(W), "b": fnp.asarray(B)}, {"w": fnp.asarray(G), "b": fnp.asarray(B)}
    addresses = {k: _address(v) for k, v in params.items()}
    new, norm = SGD(params, grads)
    np.testing.assert_allclose(new["w"], W - 0.5 * G, rtol=1e-6)
    np.testing.assert_allclose(new["b"], B - 0.5 * B, rtol=1e-6)
    np.testing.assert_allclose(norm, np.sum(W * W), rtol=1e-5)
    assert {k: _address(v) for k, v in new.items()} == addresses
    assert params["w"].is_deleted() and params["b"].is_deleted()
    assert not grads["w"].is_deleted()
    again, _ = SGD(new, grads)  # a compiled function's outputs can be donated in turn
    np.testing.assert_allclose(again["w"], W - G, rtol=1e-5)
    assert _address(again["w"]) == addresses["w"]


def test_using_a_donated_array_raises_a_clear_error():
    params = {"w": fnp.asarray(W), "b": fnp.asarray(B)}
    SGD(params, {"w": fnp.asarray(G), "b": fnp.asarray(B)})
    with pytest.raises(DeletedArrayError, match=r"f32\[4,5\] was donated to jit\(sgd\)") as info:
        params["w"] + 1.0
    assert "test_donation.py" in str(info.value)  # the user's line
    assert "deleted" in repr(params["w"])
    with pytest.raises(DeletedArrayError):
        SGD(params, params)


def test_buffers_that_others_can_see_are_copied_not_overwritten():
    w = fnp.asarray(W)
    view = np.asarray(w)  # NumPy code holds a view of w's buffer
    new, _ = SGD({"w": w, "b": fnp.asarray(B)}, {"w": fnp.asarray(G), "b": fnp.asarray(B)})
    np.testing.assert_array_equal(view, W)
    np.testing.assert_allclose(new["w"], W - 0.5 * G, rtol=1e-6)
    numpy_w, numpy_b = W.copy(), B.copy()  # NumPy arrays are the caller's: never overwritten
    SGD({"w": numpy_w, "b": numpy_b}, {"w": G, "b": B})
    np.testing.assert_array_equal(numpy_w, W)
    np.testing.assert_array_equal(numpy_b, B)
    row = fnp.asarray(np.stack([W, W]))[0]  # eagerly a view of a larger Array
    whole = row * 1.0
    SGD({"w": row, "b": fnp.asarray(B)}, {"w": fnp.asarray(G), "b": fnp.asarray(B)})
    np.testing.assert_array_equal(whole, W)


def test_an_array_passed_twice_is_not_overwritten_while_read():
    w = fnp.asarray(W)
    new, _ = SGD({"w": w, "b": fnp.asarray(B)}, {"w": w, "b": fnp.asarray(B)})
    np.testing.assert_allclose(new["w"], W - 0.5 * W, rtol=1e-6)


# Functions whose output has the donated input's shape but which read the input elsewhere than at the
# output's position, or after the output is computed: donation must not change their results. The first two
# write their first output into the donated buffer (checked below): in one loop that still reads the input.
HAZARDS = {
    "read_after_write": (lambda x: (x * 3.0, x + fnp.sin(x)), lambda x: (x * 3.0, x + np.sin(x))),
    "reduced_then_used": (lambda x: x - fnp.sum(x, axis=0), lambda x: x - np.sum(x, axis=0)),
    "transpose": (lambda x: x + x.T, lambda x: x + x.T),
    "reversed": (lambda x: x * 2.0 + x[::-1], lambda x: x * 2.0 + x[::-1]),
    "returned_too": (lambda x: (x, x * 2.0), lambda x: (x, x * 2.0)),
    "rolled": (lambda x: fnp.roll(x, 1, axis=1) - x, lambda x: np.roll(x, 1, axis=1) - x),
    "reshaped_view": (lambda x: x.reshape(-1)[::-1].reshape(x.shape) + x,
                      lambda x: x.reshape(-1)[::-1].reshape(x.shape) + x),
    # a weight update folded into its product (fnx/lower/product_updates.py), whose product reads the target
    "update_reads_target": (lambda x: x - 0.1 * (x.T @ x), lambda x: x - 0.1 * (x.T @ x)),
    "update_then_read": (lambda x: (x - 0.1 * (G5 @ G5.T), x.sum()), lambda x: (x - 0.1 * (G5 @ G5.T), x.sum())),
}
G5 = RNG.standard_normal((5, 3))


@pytest.mark.parametrize("name", sorted(HAZARDS))
def test_donation_never_changes_a_result(name):
    fn, reference = HAZARDS[name]
    x = RNG.standard_normal((5, 5))
    donated = fnp.asarray(x)
    address = _address(donated)
    got, expected = fnx.jit(fn, donate_argnums=0)(donated), reference(x.copy())
    got, expected = (got, expected) if isinstance(got, tuple) else ((got,), (expected,))
    for g, e in zip(got, expected):
        np.testing.assert_allclose(np.asarray(g), e, rtol=1e-12)
    if name in ("read_after_write", "reduced_then_used"):
        assert _address(got[0]) == address


def test_a_donated_weight_is_updated_in_place_by_its_gradient_product():
    """``w - lr * x.T @ dy`` is one BLAS call that adds into the donated ``w`` itself."""
    w, x, dy = (RNG.standard_normal(s).astype(np.float32) for s in ((5, 3), (8, 5), (8, 3)))
    donated = fnp.asarray(w)
    address = _address(donated)
    step = fnx.jit(lambda w, x, dy: w - 0.25 * (x.T @ dy), donate_argnums=0)
    assert "float_matmul_update" in step.lower(w, x, dy).as_text()
    new = step(donated, x, dy)
    np.testing.assert_allclose(np.asarray(new), w - 0.25 * (x.T @ dy), rtol=1e-5, atol=1e-6)
    assert _address(new) == address


def test_donation_under_transforms_and_arguments_both_static_and_donated():
    f = fnx.jit(lambda x: fnp.sum(fnp.sin(x) * x), donate_argnums=0)
    x = RNG.standard_normal(6)
    np.testing.assert_allclose(fnx.grad(f)(fnp.asarray(x)), np.cos(x) * x + np.sin(x), rtol=1e-12)
    with pytest.raises(FnxTypeError, match="both static and donated"):
        fnx.jit(lambda x, n: x * n, static_argnums=1, donate_argnums=(0, 1))


def test_delete():
    a = fnp.arange(3.0)
    assert not a.is_deleted()
    a.delete()
    assert a.is_deleted()
    with pytest.raises(DeletedArrayError, match="was deleted"):
        np.asarray(a)
