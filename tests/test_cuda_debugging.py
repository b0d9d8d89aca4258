"""fnx.debug.print in a program run by the CUDA backend (Numba's simulator): the callback is routed to the
host (fnx/lower/cuda/host.py), its operands copied there, and prints in program order between the kernels."""
import numpy as np

from cuda_setup import GPU

import fnx
import fnx.numpy as fnp


def test_print_on_the_gpu_in_program_order(capsys):
    def f(x):
        fnx.debug.print("x = {}", x)
        y = x * 2.0 + 1.0
        fnx.debug.print("y = {}", y)
        return y * 3.0
    x = np.arange(3.0)
    out = fnx.jit(f, device=GPU)(fnp.asarray(x))
    assert np.array_equal(np.asarray(out), (x * 2.0 + 1.0) * 3.0)
    assert capsys.readouterr().out == f"x = {x}\ny = {x * 2.0 + 1.0}\n"
