"""Ketkar, chapter 10 (GPUs with PyOpenCL): device query, vector addition and a naive matrix product as
kernels. They wait on CUDA books support (a GPU, or the CUDA simulator)."""
from ..registry import pending

pending("ketkar", "10-1", "Enumerate OpenCL platforms and devices", ("cuda",), __name__)
pending("ketkar", "10-2", "Vector addition kernel: GPU equals CPU", ("cuda",), __name__)
pending("ketkar", "10-3", "Naive matrix-product kernel", ("cuda",), __name__)
