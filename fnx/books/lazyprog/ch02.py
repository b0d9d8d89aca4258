"""LazyProgrammer, chapter 2 (biological analogies): the output as a decision with a 0.5 threshold."""
from __future__ import annotations

import fnx
import fnx.numpy as fnp

from ..checks import Value
from ..registry import listing


@listing("lazyprog", "E03", "The 0.5 decision threshold", kind="exact",
         expect={"classes": Value([0, 1, 1, 0, 1])})
def example_03():
    """E03 (chapter 2): with 1 = cat, an output of 0.7 is above the 0.5 "excitability threshold": "Cat!".
    Outputs [0.3, 0.5, 0.7, 0.1, 0.99] give classes [0, 1, 1, 0, 1] (0.5 counts as 1)."""
    probs = fnp.asarray([0.3, 0.5, 0.7, 0.1, 0.99])
    return {"classes": fnx.jit(lambda p: (p >= 0.5).astype(int))(probs)}
