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
from fnx import lax

from ..checks import Value
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
                 "updated_value": Value(42.0), "updated_grad": Value([[4.0, 13.0, 28.0]])})
def listing_4_6():
    """Listing 4-6: z = sum((x*x + y) * x) and dz/dx = 3x^2 + y at x = [[1, 2, 3]]: 68 and [[7, 17, 33]] with
    y = [[4, 5, 6]], then 42 and [[4, 13, 28]] after y is set to [[1, 1, 1]] (one compiled function: y is an
    argument, not a constant baked in at trace time)."""
    value_and_grad = fnx.jit(fnx.value_and_grad(cube_plus_state))
    x = fnp.asarray([[1, 2, 3]], dtype=float)
    value, g = value_and_grad(x, np.array([[4, 5, 6]]))
    updated_value, updated_g = value_and_grad(x, np.array([[1, 1, 1]]))
    return {"value": value, "grad": g, "updated_value": updated_value, "updated_grad": updated_g}


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
