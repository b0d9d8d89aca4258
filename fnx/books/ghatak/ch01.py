"""Ghatak, chapter 1 (introduction to machine learning): a Keras model's parameter count, the maximum-likelihood
Gaussian and a cross-entropy, as pure fnx functions (R's vectors -> fnx arrays, float64 as R computes)."""
from __future__ import annotations


import fnx
import fnx.nn as nn
import fnx.numpy as fnp

from ..checks import Value
from ..registry import listing


def dense_stack(*sizes: int, hidden=nn.relu, output=nn.sigmoid) -> nn.Layer:
    """Keras's ``layer_dense`` chain ``sizes[0] -> ... -> sizes[-1]``: ``hidden`` between layers, ``output`` last."""
    stages = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        stages += [nn.layer(nn.dense, n_in, n_out), hidden]
    return nn.serial(*stages[:-1], output)


def parameter_shapes(model: nn.Layer):
    """The shapes of ``model``'s parameters, found by tracing its init (no weights are drawn)."""
    return fnx.eval_shape(model.init, fnx.random.key(0))


def layer_counts(shapes) -> list[int]:
    """Parameters per layer that has any (Keras's summary column)."""
    return [nn.count_params(p) for p in shapes if nn.count_params(p)]


@listing("ghatak", "L1-1", "Keras summary of a 12288-100-50-15-1 dense net", kind="exact",
         expect={"per_layer": Value([1228900, 5050, 765, 16]), "total": Value(1234731),
                 "output_shape": Value([7, 1])})
def listing_l1_1():
    """Listing 1-1 (the same model as 3-17): four dense layers on 64x64x3 images flattened to 12288 inputs;
    each has ``n_in * n_out + n_out`` parameters, 1,234,731 in all, and a batch of 7 maps to (7, 1)."""
    model = dense_stack(12288, 100, 50, 15, 1)
    shapes = parameter_shapes(model)
    out = fnx.eval_shape(model.apply, shapes, fnx.ShapeDtypeStruct((7, 12288), "float64"))
    return {"per_layer": layer_counts(shapes), "total": nn.count_params(shapes), "output_shape": list(out.shape)}


POINTS = [-3.0, -0.7, 2.0, 3.0]


def gaussian_nll(mu, var, x):
    """The negative log-likelihood of the points ``x`` under N(mu, var) (equations 1.10.3-1.10.4)."""
    return fnp.sum(0.5 * fnp.log(2 * fnp.pi * var) + (x - mu) ** 2 / (2 * var))


@listing("ghatak", "L1-2", "Maximum-likelihood Gaussian of four points", kind="tolerance",
         expect={"mu": Value(0.325, rtol=1e-12), "var": Value(5.516875, rtol=1e-12),
                 "nll_gradient_at_mle": Value([0.0, 0.0], atol=1e-12)})
def listing_l1_2():
    """Listing 1-2: the MLE of a Gaussian from (-3, -0.7, 2, 3) is the mean, 0.325, and the biased variance,
    5.516875 (equations 1.10.5 and 1.10.7). The gradient of the negative log-likelihood with respect to
    (mu, var) vanishes there, which is what makes them the MLE."""
    x = fnp.asarray(POINTS)
    mu = fnp.sum(x) / x.shape[0]
    var = fnp.sum((x - mu) ** 2) / x.shape[0]
    grad = fnx.grad(gaussian_nll, argnums=(0, 1))(mu, var, x)
    return {"mu": mu, "var": var, "nll_gradient_at_mle": [float(g) for g in grad]}


@listing("ghatak", "L1-3", "Cross-entropy of Table 1.1 in bits", kind="tolerance",
         expect={"bits": Value(0.4759363, rtol=1e-7), "nats": Value(0.3298939, rtol=1e-7)})
def listing_l1_3():
    """Listing 1-3: the cross-entropy of the computed distribution (0.128, 0.719, 0.153) against the target
    (0, 1, 0), with ``log2`` as the book's code has it: 0.4759363 bits (the text rounds to 0.475). Equation
    1.11.7 writes the natural log, which gives 0.3298939 nats."""
    target, computed = fnp.asarray([0.0, 1.0, 0.0]), fnp.asarray([0.128, 0.719, 0.153])
    return {"bits": -fnp.sum(target * fnp.log2(computed)), "nats": -fnp.sum(target * fnp.log(computed))}
