"""Numba kernels for the array primitives (gather/scatter, sort, linalg, convolution, pooling)."""
