"""The Numba options of every function fnx compiles (the kernel modules and the generated code): machine code
cached on disk, NumPy's error model (a float division by zero gives inf or nan, as in NumPy, instead of
raising), and the GIL released while it runs, so that other threads (a background compile, the user's) go on.
"""
NUMBA_OPTIONS = dict(cache=True, error_model="numpy", nogil=True)
