"""Bourez, chapter 1 (Theano basics): the REPL examples of the chapter, numbered 1.1-1.31 in the catalog's
order, as pure fnx functions.

Theano mapped: symbolic variables (``T.matrix('x')``) -> function arguments; ``z.eval({x: ...})`` and
``theano.function`` -> calling the function (``fnx.jit`` for the compiled one); ``floatX`` ->
``fnx.config.default_float``; shared variables and ``updates`` -> state passed in and returned;
``set_subtensor``/``inc_subtensor`` -> ``x.at[...].set/add``; ``switch`` -> ``where``; ``ifelse`` ->
``lax.cond``; ``scan`` -> ``lax.scan`` (``outputs_info`` is the carry, ``non_sequences`` are closed over,
``n_steps`` slices the sequence). The book sets ``floatX = 'float32'``: its values are float32 here too.

Numbering (the catalog numbers the chapter's examples in order): 1.1-1.2 configuration (prose), 1.3 tensor
types, 1.4 the first graph, 1.5-1.7 pp/debugprint (read from the jaxpr), 1.8 a compiled function, 1.9 its GPU
graph on the GPU, 1.10 dtype strictness, 1.11 creation, 1.12 ndim/dtype, 1.13 shapes, 1.14 reshape, 1.15
elementwise product, 1.16 power, 1.17 switch, 1.18 ifelse, 1.19 max, 1.20 concatenate/stack, 1.21
set/inc_subtensor, 1.22 transfer to and from the GPU, 1.23 shared variables, 1.24 several outputs, 1.25 updates, 1.26
grad, 1.27-1.30 scan, 1.31 profiling. 1.9 and 1.22 run on a GPU (or the CUDA simulator)."""
from __future__ import annotations

import contextlib

import numpy as np

import fnx
import fnx.numpy as fnp
from fnx import lax

from ..checks import Value
from ..registry import listing

F32 = np.float32


@contextlib.contextmanager
def float_x(dtype: str):
    """Theano's ``floatX``: fnx's default float inside the block, restored after it."""
    before = fnx.config.default_float
    fnx.config.update("default_float", dtype)
    try:
        yield
    finally:
        fnx.config.update("default_float", before)


def typed_scalar(prefix: str = "") -> str:
    """The dtype of a ``T.<prefix>scalar()``: i int32, l int64, f float32, d float64, none floatX."""
    fixed = {"i": "int32", "l": "int64", "f": "float32", "d": "float64"}
    return str(fnp.asarray(0, dtype=fixed.get(prefix, fnx.config.default_float)).dtype)


@listing("bourez", "1.3", "Tensor types: floatX and the i/l/f/d prefixes", kind="exact",
         expect={"float32": Value(["float32", "int32", "float32", "float64"]),
                 "float64": Value(["float64", "float32"])})
def listing_1_3():
    """``T.scalar()`` follows floatX (float32, then float64 after ``floatX = 'float64'``); ``T.iscalar()``,
    ``T.fscalar()`` and ``T.dscalar()`` are int32, float32 and float64 whatever floatX is."""
    with float_x("float32"):
        first = [typed_scalar(p) for p in ("", "i", "f", "d")]
    with float_x("float64"):
        second = [typed_scalar(""), typed_scalar("f")]
    return {"float32": first, "float64": second}


X_14, Y_14 = [[1, 2], [1, 3]], [[1, 0], [3, 4]]


def floatx_array(value):
    """An array of the book's floatX (float32)."""
    return fnp.asarray(value, dtype=F32)


@listing("bourez", "1.4", "The first graph: z = x + y evaluated", kind="exact",
         expect={"z": Value(np.array([[2, 2], [4, 7]], F32)), "dtype": Value("float32")})
def listing_1_4():
    """``z = x + y`` over two matrices, ``z.eval({x: [[1, 2], [1, 3]], y: [[1, 0], [3, 4]]})``: [[2, 2], [4, 7]]
    in float32. The graph is the function; evaluating it is calling it. (``theano.pp(z)`` printing
    ``(x + y)`` is listing 1.5's printer.)"""
    z = (lambda x, y: x + y)(floatx_array(X_14), floatx_array(Y_14))
    return {"z": z, "dtype": str(z.dtype)}




def graph(f, *args) -> dict:
    """What Theano's printers show of a graph, read from fnx's jaxpr (``fnx.make_jaxpr``): its text, the
    operations in order, each one's operands as input positions, and the input types."""
    closed = fnx.make_jaxpr(f)(*args)
    jaxpr = closed.jaxpr
    position = {id(v): i for i, v in enumerate(jaxpr.invars)}
    return {"text": str(closed), "operations": [e.primitive.name for e in jaxpr.eqns],
            "operands": [[position.get(id(v), -1) for v in e.invars] for e in jaxpr.eqns],
            "input_types": [str(v.aval) for v in jaxpr.invars]}


MATRIX = np.ones((2, 2), F32)


@listing("bourez", "1.5", "pp of unnamed variables: their types", kind="exact",
         expect={"operations": Value(["add"]), "operands": Value([[0, 1]]),
                 "input_types": Value(["f32[2,2]", "f32[2,2]"])})
def listing_1_5():
    """``theano.pp(a + b)`` of two unnamed matrices prints ``(<TensorType(float32, matrix)> +
    <TensorType(float32, matrix)>)``: one addition of two float32 matrices. fnx prints a jaxpr, ``{ lambda ;
    a:f32[2,2] b:f32[2,2]. let c:f32[2,2] = add a b in (c,) }``: the same graph, with the shapes as well."""
    return graph(lambda a, b: a + b, MATRIX, MATRIX)


@listing("bourez", "1.6", "Rebinding a Python name: pp(x + x)", kind="exact",
         expect={"operations": Value(["add"]), "operands": Value([[0, 0]])})
def listing_1_6():
    """``x = x + x`` rebinds the Python name only: ``theano.pp(x)`` prints ``(x + x)``, one addition of the
    same input twice, which the jaxpr shows as ``add a a``."""
    def double(x):
        x = x + x
        return x
    return graph(double, MATRIX)


@listing("bourez", "1.7", "debugprint of a graph", kind="exact",
         expect={"operations": Value(["add"]), "operands": Value([[0, 1]]), "mentions_add_of_both": Value(True)})
def listing_1_7():
    """``theano.printing.debugprint(z)`` prints the unoptimized graph as a tree, ``Elemwise{add,no_inplace}``
    over x and y (and ``pydotprint`` draws it). ``print(fnx.make_jaxpr(f)(x, y))`` is fnx's unoptimized graph:
    its one equation adds the two inputs."""
    values = graph(lambda x, y: x + y, MATRIX, MATRIX)
    values["mentions_add_of_both"] = "= add a b" in values["text"]
    return values



def gpu_plan(f, *args) -> list[str]:
    """The steps of ``f``'s program on the GPU (``ClusterStep``: one fused kernel; ``KernelStep``: a user's CUDA
    kernel; ``HostStep``: run on the CPU), as Theano's debugprint of a compiled GPU function shows its Gpu* nodes."""
    from fnx.lower.cuda.compile import CudaExecutable
    closed = fnx.make_jaxpr(f)(*args)
    return [type(step).__name__ for step in
            CudaExecutable(closed.jaxpr, closed.consts, fnx.devices("gpu")[0]).program.steps]


@listing("bourez", "1.9", "debugprint of the compiled GPU graph", kind="exact", gpu=True,
         expect={"outputs": Value(np.array([[2, 2], [4, 7]], F32)), "output_on_gpu": Value(True),
                 "steps_of_x_plus_y": Value(["ClusterStep"]), "steps_of_x_plus_y_plus_x": Value(["ClusterStep"])})
def listing_1_9():
    """``debugprint(addition)`` on the GPU prints ``GpuFromHost`` for x and y, ``GpuElemwise{Add}`` and
    ``HostFromGpu``; adding a further term adds no node ("two additions have been merged into one node").
    fnx's program of ``x + y`` on the GPU is one fused kernel (``ClusterStep``), and so is ``x + y + x``. The
    host inputs are copied to the device when the call starts (Theano's GpuFromHost); the result stays there
    (no HostFromGpu) until it is read: ``np.asarray`` copies it back."""
    x, y = np.array([[1, 2], [1, 3]], F32), np.array([[1, 0], [3, 4]], F32)
    result = fnx.jit(lambda a, b: a + b, device="gpu")(x, y)
    return {"outputs": np.asarray(result), "output_on_gpu": result.device.platform == "gpu",
            "steps_of_x_plus_y": gpu_plan(lambda a, b: a + b, x, y),
            "steps_of_x_plus_y_plus_x": gpu_plan(lambda a, b: a + b + a, x, y)}


@listing("bourez", "1.22", "transfer() between host and GPU", kind="exact", gpu=True,
         expect={"b": Value(np.ones((2, 2), F32)), "b_on_gpu": Value(True), "sq": Value(np.ones((2, 2), F32)),
                 "sq_stays_on_gpu": Value(True), "back_on_cpu": Value(True)})
def listing_1_22():
    """``b = a.transfer(None)`` puts a float32 matrix of ones on the GPU (``gpuarray.array([[1, 1], [1, 1]])``);
    ``a ** 2`` compiled for the GPU keeps its result there when the graph says so (no HostFromGpu), and
    ``transfer('cpu')`` brings it back. fnx: ``device_put(a, "gpu")``; a jitted function of a device array
    runs there and its result stays there; ``device_put(x, "cpu")`` is the copy back."""
    b = fnx.device_put(np.ones((2, 2), F32), "gpu")
    sq = fnx.jit(lambda a: a ** 2)(b)
    back = fnx.device_put(sq, "cpu")
    return {"b": np.asarray(b), "b_on_gpu": b.device.platform == "gpu", "sq": np.asarray(sq),
            "sq_stays_on_gpu": sq.device.platform == "gpu", "back_on_cpu": not hasattr(back, "device")
            or back.device.platform == "cpu"}


@listing("bourez", "1.8", "A compiled function returning a list", kind="exact",
         expect={"outputs": Value([np.array([[2, 2], [4, 7]], F32)])})
def listing_1_8():
    """``addition = theano.function([x, y], [z])``: a list in, a list of one float32 array out."""
    addition = fnx.jit(lambda x, y: [x + y])
    return {"outputs": addition(floatx_array(X_14), floatx_array(Y_14))}


@listing("bourez", "1.10", "Input dtypes: casting to floatX", kind="exact",
         expect={"ones_plus_zeros": Value(np.ones((2, 2), F32)),
                 "ones_plus_diag": Value(np.array([[3, 1], [1, 4]], F32)), "float64_input_gives": Value("float64")})
def listing_1_10():
    """Theano refuses float64 NumPy inputs to a float32 function (loss of precision); cast to floatX they
    give [[1, 1], [1, 1]] and ones + diag((2, 3)) = [[3, 1], [1, 4]]. fnx, like JAX, does not refuse: a
    float64 input traces a float64 version of the function (the third value)."""
    addition = fnx.jit(lambda x, y: x + y)
    return {"ones_plus_zeros": addition(np.ones((2, 2), F32), np.zeros((2, 2), F32)),
            "ones_plus_diag": addition(np.ones((2, 2)).astype(F32), np.diag((2, 3)).astype(F32)),
            "float64_input_gives": str(addition(np.ones((2, 2)), np.zeros((2, 2))).dtype)}


@listing("bourez", "1.11", "zeros, identity_like, arange", kind="exact",
         expect={"zeros": Value(np.zeros((2, 3))), "identity_like": Value([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]),
                 "arange": Value(np.arange(10))})
def listing_1_11():
    """``T.zeros((2, 3))``, ``T.identity_like`` of it (ones on the diagonal of a non-square matrix:
    ``eye(*a.shape)``) and ``T.arange(10)``."""
    a = fnp.zeros((2, 3))
    return {"zeros": a, "identity_like": fnp.eye(*a.shape), "arange": fnp.arange(10)}


@listing("bourez", "1.12", "ndim, dtype and type of arange(10)", kind="exact",
         expect={"ndim": Value(1), "dtype": Value("int64"), "type": Value("int64 vector")})
def listing_1_12():
    """``c = T.arange(10)``: ``c.ndim`` 1, ``c.dtype`` 'int64', ``c.type`` TensorType(int64, vector)."""
    c = fnp.arange(10)
    return {"ndim": c.ndim, "dtype": str(c.dtype), "type": f"{c.dtype} {['scalar', 'vector', 'matrix'][c.ndim]}"}


@listing("bourez", "1.13", "Shapes as values", kind="exact",
         expect={"shape": Value([2, 2]), "shape_fct": Value([2, 2]), "arange_n_shape": Value([10])})
def listing_1_13():
    """``a.shape.eval({a: [[1, 2], [1, 3]]})`` and the compiled ``shape_fct`` give [2, 2]; ``T.arange(n)``
    with n = 10 has shape [10]. Under jit a shape must be known when tracing: n is a static argument."""
    shape_fct = fnx.jit(lambda a: fnp.array(a.shape))
    arange_shape = fnx.jit(lambda n: fnp.array(fnp.arange(n).shape), static_argnums=0)
    return {"shape": list(fnp.asarray(X_14).shape), "shape_fct": shape_fct(floatx_array(X_14)),
            "arange_n_shape": arange_shape(10)}


@listing("bourez", "1.14", "reshape", kind="exact",
         expect={"b": Value(np.arange(10).reshape(5, 2))})
def listing_1_14():
    """``T.reshape(T.arange(10), (5, 2))``."""
    return {"b": fnp.reshape(fnp.arange(10), (5, 2))}


DIAG_33 = np.diag((3, 3)).astype(F32)


@listing("bourez", "1.15", "Elementwise product, and T.mul of four inputs", kind="exact",
         expect={"z": Value(np.array([[3, 0], [0, 3]], F32)), "mul4": Value(np.array([[9, 0], [0, 9]], F32))})
def listing_1_15():
    """``a * b`` with ones and diag((3, 3)) gives [[3, 0], [0, 3]]; ``T.mul(a, b, a, b)`` multiplies any
    number of inputs: [[9, 0], [0, 9]]."""
    a, b = np.ones((2, 2), F32), DIAG_33
    return {"z": fnp.multiply(a, b), "mul4": fnp.multiply(fnp.multiply(a, b), fnp.multiply(a, b))}


@listing("bourez", "1.16", "Power", kind="exact", expect={"z": Value(np.array([[9, 0], [0, 9]], F32))})
def listing_1_16():
    """``a ** 2`` on diag((3, 3)): [[9, 0], [0, 9]]."""
    return {"z": fnp.asarray(DIAG_33) ** 2}


@listing("bourez", "1.17", "switch", kind="exact", expect={"z": Value(np.array([10, 2], F32))})
def listing_1_17():
    """``T.switch(cond, x, y)`` with cond [1, 0], x [10, 10], y [3, 2]: [10., 2.] (float32)."""
    cond, x, y = (floatx_array(v) for v in ([1, 0], [10, 10], [3, 2]))
    return {"z": fnp.where(cond != 0, x, y)}


@listing("bourez", "1.18", "ifelse is lazy", kind="exact", expect={"z": Value(np.int8(5)), "dtype": Value("int8")})
def listing_1_18():
    """``ifelse(1, 5, 4)`` evaluates one branch only: array(5, dtype=int8) (Theano types the literal 5 as
    the smallest integer); ``lax.cond`` runs only the branch taken."""
    z = lax.cond(fnp.asarray(1) != 0, lambda: fnp.asarray(5, dtype="int8"), lambda: fnp.asarray(4, dtype="int8"))
    return {"z": z, "dtype": str(z.dtype)}


@listing("bourez", "1.19", "max over all, axis 0 and axis 1", kind="exact",
         expect={"max": Value(F32(4)), "axis0": Value(np.array([3, 4], F32)), "axis1": Value(np.array([2, 4], F32))})
def listing_1_19():
    """``T.max(a)`` with a = [[1, 2], [3, 4]]: 4.0; along axis 0: [3, 4]; along axis 1: [2, 4]."""
    a = floatx_array([[1, 2], [3, 4]])
    return {"max": fnp.max(a), "axis0": fnp.max(a, axis=0), "axis1": fnp.max(a, axis=1)}


A_20 = np.arange(10).reshape(5, 2)


@listing("bourez", "1.20", "concatenate and stack", kind="exact",
         expect={"rows": Value(np.concatenate([A_20, A_20[::-1]])),
                 "columns": Value(np.concatenate([A_20, A_20[::-1]], axis=1)),
                 "stacked": Value(np.stack([A_20, A_20[::-1]]))})
def listing_1_20():
    """With a = arange(10).reshape((5, 2)) and b = a[::-1]: ``concatenate([a, b])`` (10, 2),
    ``concatenate([a, b], axis=1)`` (5, 4), ``stack([a, b])`` (2, 5, 2), as printed."""
    a = fnp.reshape(fnp.arange(10), (5, 2))
    b = a[::-1]
    return {"rows": fnp.concatenate([a, b]), "columns": fnp.concatenate([a, b], axis=1), "stacked": fnp.stack([a, b])}


@listing("bourez", "1.21", "set_subtensor and inc_subtensor", kind="exact",
         expect={"set": Value([[0, 1], [2, 3], [4, 5], [-1, -1], [-1, -1]]),
                 "inc": Value([[0, 1], [2, 3], [4, 5], [5, 6], [7, 8]]), "a_unchanged": Value(A_20)})
def listing_1_21():
    """``T.set_subtensor(a[3:], [-1, -1])`` and ``T.inc_subtensor(a[3:], [-1, -1])`` return new tensors and
    leave a as it was, as ``a.at[3:].set`` and ``.add`` do."""
    a = fnp.reshape(fnp.arange(10), (5, 2))
    return {"set": a.at[3:].set(fnp.asarray([-1, -1])), "inc": a.at[3:].add(fnp.asarray([-1, -1])), "a_unchanged": a}


@listing("bourez", "1.23", "A shared variable as explicit state", kind="exact",
         expect={"initial": Value(0), "dtype": Value("int64"), "after_set_value": Value(1)})
def listing_1_23():
    """``state = shared(0)`` is an int64 scalar, 0; after ``state.set_value(1)``, 1. In fnx the state is an
    ordinary array: "setting" it is making a new one and passing it on."""
    state = fnp.asarray(0)
    initial, dtype = int(state), str(state.dtype)
    state = fnp.asarray(1, dtype=state.dtype)
    return {"initial": initial, "dtype": dtype, "after_set_value": int(state)}


X_24 = np.array([[0.8477849, -1.19445022, -0.45322134], [-1.68677549, 0.29511427, -0.86265556],
                 [-0.13830706, 1.61177331, 1.92968274]], F32)
NAN = np.nan


@listing("bourez", "1.24", "A function with three outputs: exp, log and square", kind="tolerance",
         expect={"exp": Value([[2.33447003, 0.30287042, 0.63557744], [0.18511547, 1.34327984, 0.42203984],
                               [0.87083125, 5.01169062, 6.88732481]], rtol=1e-6),
                 "log": Value([[-0.16512829, NAN, NAN], [NAN, -1.2203927, NAN], [NAN, 0.47733498, 0.65735561]],
                              rtol=1e-6),
                 "square": Value([[0.71873927, 1.42671108, 0.20540957], [2.84521151, 0.08709242, 0.74417454],
                                  [0.01912885, 2.59781313, 3.72367549]], rtol=1e-6)})
def listing_1_24():
    """``theano.function([a], [T.exp(a), T.log(a), a**2])`` on a random 3x3 float32 matrix the book does not
    print; the catalog recovers it as log of the printed exp (x below), which reproduces all three printed
    arrays to float32 precision, with nan where x <= 0 (log of a negative is nan, not an error)."""
    ex = fnx.jit(lambda a: [fnp.exp(a), fnp.log(a), a ** 2])
    exp, log, square = ex(X_24)
    return {"exp": exp, "log": log, "square": square}


@listing("bourez", "1.25", "updates=[(w, w * x)] as a returned state", kind="exact",
         expect={"outputs": Value([]), "w": Value(4.0)})
def listing_1_25():
    """``mul = theano.function([x], updates=[(w, w * x)])`` with w = shared(1.0): ``mul(4)`` returns [] and
    w becomes 4.0. Pure: ``mul(w, x)`` returns the outputs and the new w."""
    mul = fnx.jit(lambda w, x: ([], w * x))
    outputs, w = mul(fnp.asarray(1.0), fnp.asarray(4.0))
    return {"outputs": outputs, "w": w}


@listing("bourez", "1.26", "grad of a ** 2 is 2a", kind="exact",
         expect={"grad": Value([-2.0, 0.0, 5.0, 6.0])})
def listing_1_26():
    """``theano.grad(a ** 2, a)`` is the expression 2a: evaluated at -1, 0, 2.5 and 3 (through ``vmap``)."""
    return {"grad": fnx.vmap(fnx.grad(lambda a: a ** 2))(fnp.asarray([-1.0, 0.0, 2.5, 3.0]))}


@listing("bourez", "1.27", "scan as a map: x + 1 over the rows", kind="deviates",
         reason="the book prints one row, [[2., 2., 2.]]; mapping over the two rows of ones((2, 3)) gives two",
         expect={"results": Value(np.full((2, 3), 2, F32), printed=[[2.0, 2.0, 2.0]])})
def listing_1_27():
    """``theano.scan(fn, sequences=a)`` with ``fn(x) = x + 1`` on ones((2, 3)): every row plus one, a (2, 3)
    array of 2.0, as the book's text says ("kept the same shape as the input tensor")."""
    rows = lax.scan(lambda carry, x: (carry, x + 1), None, np.ones((2, 3), F32))[1]
    return {"results": rows}


@listing("bourez", "1.28", "scan with outputs_info: a cumulative sum", kind="exact",
         expect={"results": Value(np.array([0, 3, 8], F32))})
def listing_1_28():
    """``fn(current, prior) = prior + current`` from s0 = 0 over [0, 3, 5]: [0, 3, 8] (the initial state is
    not part of the output)."""
    def cumulative(a, s0):
        return lax.scan(lambda prior, x: (prior + x, prior + x), s0, a)[1]
    return {"results": fnx.jit(cumulative)(np.array([0, 3, 5], F32), F32(0))}


@listing("bourez", "1.29", "scan over the rows of a matrix", kind="exact",
         expect={"results": Value(np.arange(5, 101, 5).astype(F32))})
def listing_1_29():
    """``prior + current.sum()`` over the 20 rows of ones((20, 5)): 5, 10, ..., 100."""
    return {"results": lax.scan(lambda prior, row: (prior + row.sum(), prior + row.sum()), F32(0),
                                np.ones((20, 5), F32))[1]}


@listing("bourez", "1.30", "scan with non_sequences and n_steps", kind="exact",
         expect={"results": Value(np.array([1, 6, 31, 156, 781, 3906, 19531, 97656, 488281, 2441406], F32))})
def listing_1_30():
    """``fn(current, prior, non_seq) = prior * non_seq + current`` with non_seq = 5, n_steps = 10, over
    ones(20) from 0 (the catalog's reconstruction of the lost listing): 1, 6, 31, ..., 2441406. The
    non-sequence is closed over; n_steps slices the sequence."""
    def times_five_plus(a, non_seq, n_steps: int):
        return lax.scan(lambda prior, x: (prior * non_seq + x,) * 2, F32(0), a[:n_steps])[1]
    return {"results": times_five_plus(np.ones(20, F32), F32(5), 10)}


def cumulative(a, s0):
    """1.28's scan: ``prior + current`` from ``s0`` over ``a`` (the running sums)."""
    return lax.scan(lambda prior, x: (prior + x, prior + x), s0, a)[1]


@listing("bourez", "1.31", "profile=True summaries", kind="exact",
         expect={"results": Value(np.cumsum(np.arange(10, dtype=F32))), "items_timed": Value(True),
                 "scan_listed": Value(True)})
def listing_1_31():
    """``theano.function([a, s0], results, profile=True)`` and ``f.profile.summary()`` print the call time, the
    compile times and tables of the time per op class, op and node (the scan first, 58 %). fnx:
    ``jit(f).lower(a, s0).profile(a, s0)`` runs the compiled program with a timer around each fused loop,
    kernel, call and loop, and returns the table (times per call, most expensive first). Times are the
    machine's; the unit checks the program's result and that the table lists the scan's loop with a time."""
    a, s0 = np.arange(10, dtype=F32), F32(0)
    table = fnx.jit(cumulative).lower(a, s0).profile(a, s0, repeat=3, show=False)
    return {"results": fnx.jit(cumulative)(a, s0), "table": str(table),
            "items_timed": bool(table.rows) and all(r.total >= 0 for r in table.rows) and table.seconds > 0,
            "scan_listed": any("scan" in r.description for r in table.rows)}
