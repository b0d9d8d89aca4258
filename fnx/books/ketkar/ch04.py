"""Ketkar, chapter 4 (Theano): compiled expressions, shared state, losses, random streams, GD models,
conditionals and scan, as pure fnx functions.

Theano mapped: typed placeholders (``dscalar``, ``dmatrix``) -> float64 arguments (``fnp.asarray(v,
float)``); ``function`` -> ``fnx.jit``; shared variables and ``updates=`` -> state passed in and returned;
``ifelse`` -> ``lax.cond``; ``switch`` -> ``fnp.where``; ``scan(n_steps=...)`` -> ``lax.scan(length=...)``;
``RandomStreams`` -> explicit keys.
"""
from __future__ import annotations

import numpy as np

import fnx
import fnx.nn as nn
import fnx.numpy as fnp
from fnx import lax, random

from ..checks import Between, Falls, Value
from ..loops import gradient_descent
from ..registry import listing


def f64(*values):
    """Theano's ``d``-typed placeholders: every argument as a float64 array."""
    return [fnp.asarray(v, dtype=float) for v in values]


@listing("ketkar", "4-1", "A compiled scalar function ((a - b + c) * d) / e", kind="exact",
         expect={"f": Value(1.6)})
def listing_4_1():
    """Listing 4-1: Theano compiles ``((a - b + c) * d) / e`` over five float64 scalars; at (1, 2, 3, 4, 5)
    it is 1.6 (the integer arguments are cast to float64, so ``/`` is true division)."""
    f = fnx.jit(lambda a, b, c, d, e: ((a - b + c) * d) / e)
    return {"f": f(*f64(1, 2, 3, 4, 5))}


A, B, C, D = [[1, 1], [1, 1]], [[2, 2], [2, 2]], [[5, 5], [5, 5]], [[3, 3], [3, 3]]


@listing("ketkar", "4-2", "A compiled matrix expression (a + b - c) * d", kind="exact",
         expect={"e": Value([[-6.0, -6.0], [-6.0, -6.0]]), "dtype": Value("float64")})
def listing_4_2():
    """Listing 4-2: ``(a + b - c) * d`` over four ``dmatrix`` inputs fed integer 2x2 arrays: float64
    [[-6, -6], [-6, -6]] (NumPy on the int arrays would print ints)."""
    e = fnx.jit(lambda a, b, c, d: (a + b - c) * d)(*f64(A, B, C, D))
    return {"e": e, "dtype": str(e.dtype)}


@listing("ketkar", "4-3", "Scalars and matrices mixed", kind="exact",
         expect={"e": Value(np.full((2, 2), -26.25))})
def listing_4_3():
    """Listing 4-3: ``(((a*p) + (b-q) - (c+r)) * d/s) * u`` with matrices a-d and scalars p, q, r, s, u =
    1..5 broadcasts to ((1 + 0 - 8) * 3/4) * 5 = -26.25 everywhere."""
    def f(a, b, c, d, p, q, r, s, u):
        return (((a * p) + (b - q) - (c + r)) * d / s) * u
    return {"e": fnx.jit(f)(*f64(A, B, C, D, 1, 2, 3, 4, 5))}


@listing("ketkar", "4-4", "Activations on [[-1, 0, 1]]", kind="tolerance",
         expect={"sigmoid": Value([[0.2689414213699951, 0.5, 0.7310585786300049]], rtol=1e-15),
                 "tanh": Value([[-0.7615941559557649, 0.0, 0.7615941559557649]], rtol=1e-15),
                 "ultra_fast_sigmoid": Value([[0.25, 0.5, 0.75]]),
                 "softplus": Value([[0.31326168751822286, 0.6931471805599453, 1.3132616875182228]], rtol=1e-15),
                 "relu": Value([[0.0, 0.0, 1.0]]),
                 "softmax": Value([[0.09003057317038046, 0.24472847105479764, 0.6652409557748218]], rtol=1e-14)})
def listing_4_4():
    """Listing 4-4: Theano's sigmoid, tanh, ultra_fast_sigmoid, softplus, relu and row softmax on
    [[-1, 0, 1]]. The book prints no values; the expected ones are the catalog's float64 values (the
    ultra-fast sigmoid, Theano's piecewise approximation, is exactly [0.25, 0.5, 0.75])."""
    x, = f64([[-1, 0, 1]])
    return {"sigmoid": nn.sigmoid(x), "tanh": nn.tanh(x),
            "ultra_fast_sigmoid": nn.hard_sigmoid(x, variant="theano"), "softplus": nn.softplus(x),
            "relu": nn.relu(x), "softmax": nn.softmax(x, axis=1)}


@listing("ketkar", "4-5", "A shared variable as explicit state", kind="exact",
         expect={"first": Value([[5.0, 7.0, 9.0]]), "after_set_value": Value([[6.0, 8.0, 10.0]]),
                 "retraced": Value(False)})
def listing_4_5():
    """Listing 4-5: ``f(x) = x + y`` with y a shared variable [[4, 5, 6]]; after ``y.set_value([[5, 6, 7]])``
    the same compiled f gives [[6, 8, 10]] instead of [[5, 7, 9]]. Here y is an argument of the jitted f:
    changing it needs no retrace (``retraced``: whether the second call traced f again)."""
    traces = []

    def f(x, y):
        traces.append(1)
        return x + y
    f = fnx.jit(f)
    x = fnp.asarray([[1, 2, 3]], dtype=float)
    first = f(x, np.array([[4, 5, 6]]))
    after = f(x, np.array([[5, 6, 7]]))  # the state "set_value" is the next argument
    return {"first": first, "after_set_value": after, "retraced": len(traces) > 1}


def cube_plus_state(x, y):
    """Listing 4-6's ``z = sum((x * x + y) * x)`` with the shared y as an argument."""
    return fnp.sum((x * x + y) * x)


@listing("ketkar", "4-6", "Value and gradient with shared state", kind="exact",
         expect={"value": Value(68.0), "grad": Value([[7.0, 17.0, 33.0]]),
                 "updated_value": Value(42.0), "updated_grad": Value([[4.0, 13.0, 28.0]]),
                 "same_program_for_both_states": Value(True), "state_baked_in": Value(False)})
def listing_4_6():
    """Listing 4-6: z = sum((x*x + y) * x) and dz/dx = 3x^2 + y at x = [[1, 2, 3]]: 68 and [[7, 17, 33]] with
    y = [[4, 5, 6]], then 42 and [[4, 13, 28]] after y is set to [[1, 1, 1]]. One compiled function serves
    both: y is an argument of its jaxpr (the same program for both values), not a constant baked in."""
    value_and_grad = fnx.value_and_grad(cube_plus_state)
    x = fnp.asarray([[1, 2, 3]], dtype=float)
    y, y_updated = np.array([[4, 5, 6]]), np.array([[1, 1, 1]])
    value, g = fnx.jit(value_and_grad)(x, y)
    updated_value, updated_g = fnx.jit(value_and_grad)(x, y_updated)
    program = fnx.make_jaxpr(value_and_grad)(x, y)
    return {"value": value, "grad": g, "updated_value": updated_value, "updated_grad": updated_g,
            "same_program_for_both_states": str(program) == str(fnx.make_jaxpr(value_and_grad)(x, y_updated)),
            "state_baked_in": bool(program.consts)}


@listing("ketkar", "4-7", "Binary and categorical cross-entropy, squared error", kind="deviates",
         expect={"bce_mean": Value(3.058146503109446, rtol=1e-15),
                 "cce": Value([9.164288670116301], rtol=1e-15),
                 "squared_error": Value([[0.9604, 0.9604, 0.0]], rtol=1e-12, printed=[9.16428867])},
         reason="the book prints the categorical cross-entropy line again for the squared error")
def listing_4_7():
    """Listing 4-7: Theano's losses of output [[0.01]*3] against target [[0.99, 0.99, 0.01]]: mean binary
    cross-entropy 3.058146503109446, categorical cross-entropy [9.16428867] (= -1.99 log 0.01, one value per
    row), and the squared error (x - y)^2 = [[0.9604, 0.9604, 0]]. The book prints [9.16428867] for the
    squared error too: a copy of the line above, not what ``(x - y) ** 2`` gives."""
    out, target = f64([[0.01, 0.01, 0.01]], [[0.99, 0.99, 0.01]])
    losses = fnx.jit(lambda o, t: (nn.binary_cross_entropy(o, t), nn.categorical_cross_entropy_per_example(o, t),
                                   (o - t) ** 2))
    bce, cce, squared = losses(out, target)
    return {"bce_mean": bce, "cce": cce, "squared_error": squared}


@listing("ketkar", "4-8", "L1 and L2 regularization", kind="exact",
         expect={"l1": Value(4.0), "l2": Value(10.0)})
def listing_4_8():
    """Listing 4-8: L1 = sum(|x|) = 4 and L2 = sum(x^2) = 10 on [[0, 1, 3]] (Python's ``abs`` on an array)."""
    x, = f64([[0, 1, 3]])
    l1, l2 = fnx.jit(lambda v: (fnp.sum(abs(v)), fnp.sum(v ** 2)))(x)
    return {"l1": l1, "l2": l2}


class RandomStreams:
    """Theano's ``shared_randomstreams.RandomStreams(seed)`` on the host: a MT19937 seeder
    (``numpy.random.RandomState(seed)``) gives each random variable its own ``RandomState``, seeded by
    ``seeder.randint(2**30)``, which advances once per call of a function using the variable. The samples are
    inputs of the jitted function, as Theano's default updates of the variable's state are state passed
    around: fnx's own random numbers are counter-based keys (``fnx.random``), which cannot give MT19937's."""

    def __init__(self, seed: int):
        self._seeder = np.random.RandomState(seed)

    def normal(self, shape: tuple[int, ...]):
        """A random variable: each call of the returned function is the next standard-normal ``shape`` draw."""
        state = np.random.RandomState(self._seeder.randint(2 ** 30))
        return lambda: state.normal(0.0, 1.0, size=shape)


@listing("ketkar", "4-9", "RandomStreams: three invocations, three samples", kind="tolerance",
         expect={"invocations": Value([[[1.25614218, -0.53793023, -0.10434045]],
                                       [[0.66992188, -0.70813926, 0.99601177]],
                                       [[0.0724739, -0.66508406, 0.93707751]]], atol=5e-9),
                 "fresh_stream_repeats": Value(True)})
def listing_4_9():
    """Listing 4-9 multiplies ``RandomStreams(seed=42).normal((1, 3))`` by an input of ones and calls the
    compiled function three times: three different samples, printed to 8 decimals. Theano's MT19937 stream is
    reproduced on the host (``RandomStreams`` above) and each draw is passed to the jitted product; a new
    stream seeded 42 repeats the sequence."""
    def invocations():
        a = RandomStreams(seed=42).normal((1, 3))
        g1 = fnx.jit(lambda sample, b: sample * b)
        return np.stack([np.asarray(g1(a(), np.ones((1, 3)))) for _ in range(3)])
    first = invocations()
    return {"invocations": first, "fresh_stream_repeats": bool(np.array_equal(first, invocations()))}


def random_problem(seed: int, binary: bool):
    """The chapter's synthetic data: 1000 standard-normal rows of 100 features and random targets (0/1
    labels when ``binary``, else standard normal), drawn from ``fnx.random`` keys."""
    kx, ky = random.split(random.key(seed))
    X = random.normal(kx, (1000, 100))
    y = random.randint(ky, (1000,), 0, 2).astype(float) if binary else random.normal(ky, (1000,))
    return X, y


@listing("ketkar", "4-10", "Logistic regression by gradient descent", kind="trend",
         expect={"accuracy_after": Between(0.58, 0.70, printed=0.629),
                 "accuracy_before": Between(0.42, 0.58, printed=0.481), "loss": Falls()},
         stand_in="fnx.random normal features, random 0/1 labels (as the book)", figure=("loss",))
def listing_4_10():
    """Listing 4-10: logistic regression on 1000 random 100-feature rows with random labels; loss = mean
    binary cross-entropy + 0.01 ||w||^2, 1000 full-batch gradient-descent steps at rate 0.1 (shared w, b ->
    a params dict threaded through ``lax.scan``). Accuracy goes from chance (book: 0.481) to the memorised
    level (book: 0.629, which its second print mislabels "before")."""
    X, y = random_problem(410, binary=True)
    params = {"w": random.normal(random.key(411), (100,)), "b": fnp.asarray(0.0)}

    def loss(p):
        probs = nn.sigmoid(X @ p["w"] + p["b"])
        return nn.binary_cross_entropy(probs, y) + 0.01 * fnp.sum(p["w"] ** 2)

    def accuracy(p):
        return fnp.mean((nn.sigmoid(X @ p["w"] + p["b"]) > 0.5) == (y > 0.5))
    final, losses = fnx.jit(lambda p: gradient_descent(loss, p, 1000, 0.1))(params)
    return {"accuracy_before": accuracy(params), "accuracy_after": accuracy(final), "loss": losses}


@listing("ketkar", "4-11", "Linear regression by gradient descent", kind="trend",
         expect={"mse_after": Between(0.75, 1.0, printed=0.915701676631),
                 "mse_before": Between(60.0, 160.0, printed=90.4707491496), "loss": Falls(0.05)},
         stand_in="fnx.random normal features and targets (as the book)", figure=("loss",))
def listing_4_11():
    """Listing 4-11: linear regression of random targets on 1000 random 100-feature rows; loss = mean squared
    error + 0.01 ||w||^2, 1000 gradient-descent steps at rate 0.1. The book labels both prints "RMSE" but
    they are mean squared errors: about ||w||^2 + 1 before (book: 90.47, w ~ N(0, I)) and about 0.9 after
    (book: 0.9157)."""
    X, y = random_problem(420, binary=False)
    params = {"w": random.normal(random.key(421), (100,)), "b": fnp.asarray(0.0)}

    def mse(p):
        return fnp.mean((X @ p["w"] + p["b"] - y) ** 2)
    final, losses = fnx.jit(lambda p: gradient_descent(lambda q: mse(q) + 0.01 * fnp.sum(q["w"] ** 2), p,
                                                       1000, 0.1))(params)
    return {"mse_before": mse(params), "mse_after": mse(final), "loss": losses}


@listing("ketkar", "4-12", "A two-layer tanh network trained with cross-entropy", kind="trend",
         expect={"accuracy_after": Between(0.53, 0.80, printed=0.716),
                 "accuracy_before": Between(0.42, 0.58, printed=0.51),
                 "nan_loss_entries_at_start": Between(0.3, 0.7)},
         stand_in="fnx.random normal features, random 0/1 labels (as the book)")
def listing_4_12():
    """Listing 4-12: a 100-10-1 network with tanh hidden *and output* units, trained with binary
    cross-entropy + 0.01 (||w1||^2 + ||w2||^2) by 1000 gradient-descent steps at rate 0.1. The text calls it
    logistic regression; its output is in (-1, 1), so about half of the loss entries are log of a negative
    number (NaN, ``nan_loss_entries_at_start``), yet the gradient -y/p + (1-y)/(1-p) stays finite and
    training proceeds (book: accuracy 0.51 -> 0.716)."""
    X, y = random_problem(430, binary=True)
    k1, k2 = random.split(random.key(431))
    params = {"w1": random.normal(k1, (100, 10)), "b1": fnp.zeros(10), "w2": random.normal(k2, (10,)),
              "b2": fnp.asarray(0.0)}

    def output(p):
        return fnp.tanh(fnp.tanh(X @ p["w1"] + p["b1"]) @ p["w2"] + p["b2"])

    def bce_entries(p):
        out = output(p)
        return -(y * fnp.log(out) + (1 - y) * fnp.log(1 - out))

    def loss(p):
        return fnp.mean(bce_entries(p)) + 0.01 * (fnp.sum(p["w1"] ** 2) + fnp.sum(p["w2"] ** 2))

    def accuracy(p):
        return fnp.mean((output(p) > 0.5) == (y > 0.5))
    with np.errstate(invalid="ignore"):  # the NaN loss entries are the point
        final, _ = fnx.jit(lambda p: gradient_descent(loss, p, 1000, 0.1))(params)
        nan_share = fnp.mean(fnp.isnan(bce_entries(params)))
    return {"accuracy_before": accuracy(params), "accuracy_after": accuracy(final),
            "nan_loss_entries_at_start": nan_share}


def hinge_max(x, y):
    """``T.max([0 * x, 1 - x * y])``: the larger of the two stacked values."""
    return fnp.max(fnp.stack([0 * x, 1 - x * y]))


def hinge_cond(x, y):
    """``ifelse(lt(1 - x*y, 0), 0 * x, 1 - x*y)``: a lazy conditional, ``lax.cond``."""
    return lax.cond(1 - x * y < 0, lambda: 0 * x, lambda: 1 - x * y)


def hinge_where(x, y):
    """``switch(lt(1 - x*y, 0), 0 * x, 1 - x*y)``: an elementwise select, ``fnp.where``."""
    return fnp.where(1 - x * y < 0, 0 * x, 1 - x * y)


@listing("ketkar", "4-13", "Hinge loss through max, ifelse and switch", kind="exact",
         expect={"max": Value([3.0, 2.0, 1.0, 0.0, 0.0]), "ifelse": Value([3.0, 2.0, 1.0, 0.0, 0.0]),
                 "switch": Value([3.0, 2.0, 1.0, 0.0, 0.0]),
                 "grad_ifelse": Value([-1.0, -1.0, -1.0, -1.0, 0.0]),
                 "grad_switch": Value([-1.0, -1.0, -1.0, -1.0, 0.0])})
def listing_4_13():
    """Listing 4-13: the hinge max(0, 1 - xy) at y = 1, x = -2..2 is 3, 2, 1, 0, 0 by all three forms. The
    book's third function repeats ``hinge_b`` (ifelse) instead of ``hinge_c`` (switch), so it never shows
    switch; here it does. The gradients (not printed; the text says both conditionals differentiate) are
    -y where 1 - xy >= 0 (the kink x = 1 takes the ``1 - xy`` branch) and 0 beyond."""
    xs, one = f64([-2, -1, 0, 1, 2], 1)
    out = {}
    for name, form in (("max", hinge_max), ("ifelse", hinge_cond), ("switch", hinge_where)):
        out[name] = fnx.jit(fnx.vmap(form, in_axes=(0, None)))(xs, one)
    for name, form in (("grad_ifelse", hinge_cond), ("grad_switch", hinge_where)):
        out[name] = fnx.jit(fnx.vmap(fnx.grad(form), in_axes=(0, None)))(xs, one)
    return out


def power_by_scan(a, k: int):
    """Listing 4-14's loop: ``k - 1`` steps of ``prior * a`` from ``a`` (``outputs_info=a``,
    ``non_sequences=a`` -> a closure, ``n_steps=k-1`` -> ``length``); returns every post-step value."""
    _, powers = lax.scan(lambda prior, _: (prior * a, prior * a), a, None, length=k - 1)
    return powers


@listing("ketkar", "4-14", "a**k by theano.scan", kind="exact",
         expect={"result_last": Value(32.0), "results": Value([4.0, 8.0, 16.0, 32.0]),
                 "fori_loop": Value(32.0), "grad": Value(80.0)})
def listing_4_14():
    """Listing 4-14: ``scan`` multiplies a carry started at a by a, k - 1 times: a=2, k=5 gives the stacked
    [4, 8, 16, 32] and ``result[-1]`` = 32 (the book's two identical prints). The trip count is a run-time
    integer in Theano; ``lax.fori_loop`` with a traced k gives 32 too, and the derivative k a^(k-1) = 80 (the
    text says scan differentiates) comes from the scan form."""
    a, = f64(2)
    results = fnx.jit(power_by_scan, static_argnums=1)(a, 5)
    by_fori = fnx.jit(lambda a, k: lax.fori_loop(0, k - 1, lambda i, c: c * a, a))(a, np.int32(5))
    g = fnx.jit(fnx.grad(lambda a: power_by_scan(a, 5)[-1]))(a)
    return {"result_last": results[-1], "results": results, "fori_loop": by_fori, "grad": g}
