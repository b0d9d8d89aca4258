"""Ghatak, chapter 6 (deep neural networks II): TensorFlow's session mapped to a jitted function."""
from __future__ import annotations

import fnx
import fnx.numpy as fnp

from ..checks import Value
from ..registry import listing


@listing("ghatak", "L6-15", "A TensorFlow session multiplying two constants", kind="exact",
         expect={"c": Value(20.0)})
def listing_l6_15():
    """Listing 6-15: ``tf$multiply(tf$constant(2), tf$constant(10))`` run in an ``InteractiveSession``
    prints 20. A session running a graph is a jitted function called on its inputs."""
    return {"c": fnx.jit(fnp.multiply)(fnp.asarray(2.0), fnp.asarray(10.0))}
