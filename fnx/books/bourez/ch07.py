"""Bourez, chapter 7 (residual networks): the output shapes of a small pre-activation ResNet, as pure fnx
functions (traced with ``fnx.eval_shape``: no weights are drawn, no data is read)."""
from __future__ import annotations

import fnx
import fnx.nn as nn

from ..checks import Value
from ..registry import listing


def conv(key, c_in: int, c_out: int, size: int, stride: int = 1):
    """A "same" convolution's parameters and its apply function (NCHW)."""
    params = nn.conv2d.init(key, c_in, c_out, size, use_bias=False)
    return params, lambda p, x: nn.conv2d(p, x, stride=stride, padding="SAME")


def bn_relu(x):
    """Batch normalisation (batch statistics, unit scale) then relu: shape-preserving."""
    params, state = nn.batch_norm.init(None, x.shape[1])
    return nn.relu(nn.batch_norm(params, state, x)[0])


def residual_block(key, x, filters: int, transition: bool):
    """The book's pre-activation block: BN-relu, 3x3 conv (stride 2 at a transition), BN-relu, 3x3 conv, plus
    the input, or a 1x1 stride-2 projection of it at a transition (option B of He et al. 2016)."""
    k1, k2, k3 = fnx.random.split(key, 3)
    stride = 2 if transition else 1
    pre = bn_relu(x)
    p1, conv1 = conv(k1, x.shape[1], filters, 3, stride)
    p2, conv2 = conv(k2, filters, filters, 3)
    out = conv2(p2, bn_relu(conv1(p1, pre)))
    if transition or x.shape[1] != filters:
        pp, project = conv(k3, x.shape[1], filters, 1, stride)
        return out + project(pp, pre)
    return out + x


def resnet_shapes(x, n: int = 1, num_filters: int = 8, num_classes: int = 10) -> dict:
    """Every stage's output for an (N, 1, 28, 28) batch: first conv, the three stages (``n`` blocks each, the
    second and third starting with a transition), the global pool and the dense softmax."""
    keys = iter(fnx.random.split(fnx.random.key(0), 3 * n + 2))
    p, first = conv(next(keys), x.shape[1], num_filters, 3)
    out = {"conv": bn_relu(first(p, x))}
    h = out["conv"]
    for stage, filters in enumerate([num_filters, 2 * num_filters, 4 * num_filters]):
        for i in range(n):
            h = residual_block(next(keys), h, filters, transition=stage > 0 and i == 0)
        out[f"stage{stage + 1}"] = h
    out["global_pool"] = nn.global_avg_pool(bn_relu(h))
    dense = nn.dense.init(next(keys), 4 * num_filters, num_classes)
    out["dense"] = nn.softmax(nn.dense(dense, out["global_pool"]))
    return out


@listing("bourez", "7", "A small ResNet's output shapes on 28x28 digits", kind="exact",
         data="MNIST", stand_in="shapes only (traced)",
         expect={"conv": Value([500, 8, 28, 28]), "stage1": Value([500, 8, 28, 28]),
                 "stage2": Value([500, 16, 14, 14]), "stage3": Value([500, 32, 7, 7]),
                 "global_pool": Value([500, 32]), "dense": Value([500, 10])})
def listing_7():
    """Chapter 7's table for ``--n=1 --num_filters=8 --batch_size=500``: 8 feature maps of 28x28 after the
    first convolution and the first stage, 16 of 14x14 and 32 of 7x7 after the two transitions, a global
    pool to 32 and a dense softmax over 10 classes."""
    shapes = fnx.eval_shape(resnet_shapes, fnx.ShapeDtypeStruct((500, 1, 28, 28), "float32"))
    return {k: list(v.shape) for k, v in shapes.items()}
