"""Ghatak, chapter 6 (deep neural networks II): TensorFlow's session mapped to a jitted function."""
from __future__ import annotations

import fnx
import fnx.numpy as fnp

from ..checks import Value
from ..registry import listing, pending

for _id, _title, _blockers in [
        ("L6-6", "Keras dense 400-200-50-1 on the spiral", ("fit",)),
        ("L6-7", "Keras dense 175-1 on the spiral", ("fit",)),
        ("L6-8", "... with early stopping", ("fit", "callbacks")),
        ("L6-9", "... with batch normalization", ("fit",)),
        ("L6-10", "... with dropout 0.2", ("fit",)),
        ("L6-11", "... with an L2 regularizer", ("fit",)),
        ("L6-12", "... with reduce-on-plateau", ("fit", "callbacks"))]:
    pending("ghatak", _id, _title, _blockers, __name__, data="the book's spiral", stand_in="fnx.datasets.spirals")


@listing("ghatak", "L6-15", "A TensorFlow session multiplying two constants", kind="exact",
         expect={"c": Value(20.0)})
def listing_l6_15():
    """Listing 6-15: ``tf$multiply(tf$constant(2), tf$constant(10))`` run in an ``InteractiveSession``
    prints 20. A session running a graph is a jitted function called on its inputs."""
    return {"c": fnx.jit(fnp.multiply)(fnp.asarray(2.0), fnp.asarray(10.0))}
