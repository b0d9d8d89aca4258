"""Bourez, chapter 12 (unsupervised generative networks): the RBM's free energy and the DCGAN's transposed
convolution, checked as the catalog derives them (D14, D15), as pure fnx functions."""
from __future__ import annotations

import itertools

import numpy as np

import fnx
import fnx.nn as nn
import fnx.numpy as fnp
from fnx import lax

from ..checks import Value
from ..registry import listing


def free_energy(params: dict, v):
    """``F(v) = -v . vbias - sum_i softplus(c_i + (v W)_i)``, the RBM's free energy (W is visible x hidden)."""
    return -v @ params["vbias"] - fnp.sum(nn.softplus(v @ params["W"] + params["hbias"]), axis=-1)


def free_energy_by_enumeration(params: dict, v) -> np.ndarray:
    """``-log sum_h exp(-E(v, h))`` over every binary h, with ``E(v, h) = -b.v - c.h - h.W'v``."""
    W, b, c = (np.asarray(params[k]) for k in ("W", "vbias", "hbias"))
    hs = np.array(list(itertools.product([0.0, 1.0], repeat=c.shape[0])))
    energies = -(v @ b)[:, None] - (hs @ c)[None, :] - v @ W @ hs.T
    return -np.log(np.sum(np.exp(-energies), axis=1))


@listing("bourez", "12a", "RBM free energy against brute force, and its gradient", kind="tolerance",
         expect={"free_energy_matches": Value(True), "gradient_is_minus_expected_hv": Value(True)})
def listing_12a():
    """Chapter 12's RBM: the free energy with softplus equals ``-log sum_h exp(-E(v, h))`` summed over all
    2^4 hidden states of a 6-visible, 4-hidden RBM, and ``dF/dW = -v' sigmoid(c + v W)`` (the positive phase
    of contrastive divergence) is what ``fnx.grad`` gives."""
    rng = np.random.default_rng(12)
    params = {"W": rng.normal(size=(6, 4)) * 0.5, "vbias": rng.normal(size=6) * 0.1,
              "hbias": rng.normal(size=4) * 0.1}
    v = rng.integers(0, 2, size=(5, 6)).astype(float)
    grads = fnx.grad(lambda p: fnp.sum(free_energy(p, v)))(params)
    expected = -v.T @ (1 / (1 + np.exp(-(v @ params["W"] + params["hbias"]))))
    return {"free_energy_matches": bool(np.allclose(free_energy(params, v), free_energy_by_enumeration(params, v),
                                                    rtol=1e-12)),
            "gradient_is_minus_expected_hv": bool(np.allclose(grads["W"], expected, rtol=1e-12))}


def strided_conv(x, w):
    """The discriminator's convolution: 5x5, stride 2, padding 2 (NCHW)."""
    return lax.conv(x, w, (2, 2), ((2, 2), (2, 2)))


@listing("bourez", "12b", "DCGAN's transposed convolution is the adjoint of its convolution", kind="tolerance",
         expect={"shapes": Value([[2, 8, 14, 14], [2, 1, 28, 28]]), "adjoint": Value(True),
                 "layer_equals_vjp": Value(True)})
def listing_12b():
    """Chapter 12's generator upsamples 7x7 -> 14x14 -> 28x28 with the input gradient of a 5x5 stride-2
    pad-2 convolution (``conv_transpose2d`` here, output padding 1 picks the even size): ``<conv(x), y> =
    <x, conv_T(y)>``, and the layer equals ``fnx.vjp`` of the convolution."""
    rng = np.random.default_rng(15)
    w1, w2 = rng.normal(size=(16, 8, 5, 5)), rng.normal(size=(8, 1, 5, 5))
    z = rng.normal(size=(2, 16, 7, 7))
    up = lambda w, x: nn.conv_transpose2d({"w": w}, x, stride=2, padding=((2, 2), (2, 2)), output_padding=1)  # noqa: E731
    h = up(w1, z)
    image = up(w2, h)
    x = rng.normal(size=(2, 8, 14, 14))
    forward, pull = fnx.vjp(lambda x: strided_conv(x, w1), x)  # w1 (16, 8, 5, 5) read as OIHW: 8 -> 16
    (transposed,) = pull(z)
    return {"shapes": [list(h.shape), list(image.shape)],
            "adjoint": bool(np.isclose(np.sum(np.asarray(forward) * z), np.sum(x * np.asarray(transposed)),
                                       rtol=1e-12)),
            "layer_equals_vjp": bool(np.allclose(h, transposed, rtol=1e-12, atol=1e-12))}
