"""The op codes that generated code passes to the kernels, by the name of what each kernel computes.

The kernels (``kernels.py``, ``kernels_arrays.py``) branch on these integers; the CPU rules write them into the
generated source. They live here, apart from the kernels, so that writing a program's source imports no
Numba: the compile worker can get the source while this process is still importing it.
"""
# kernels.logical_rows, arg_rows and cumulative_rows, by primitive name
LOGICAL_OPS = {"reduce_and": 0, "reduce_or": 1}
ARG_OPS = {"argmax": 0, "argmin": 1}
CUMULATIVE_OPS = {"cumsum": 0, "cumprod": 1, "cummax": 2, "cummin": 3}
# kernels_arrays.scatter's mode and the window kernels' reduction
SCATTER_MODES = {"set": 0, "add": 1, "mul": 2, "min": 3, "max": 4}
WINDOW_REDUCERS = {"max": 0, "min": 1, "sum": 2}
