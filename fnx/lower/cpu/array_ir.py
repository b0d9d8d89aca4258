"""Array allocation, reshapes and copies (and a branch-free select) for Numba code, as LLVM IR (intrinsics).

Generated code and the kernels allocate, reshape and copy arrays all the time. Through NumPy's API in Numba
(``np.empty``, ``np.full``, ``.reshape``, ``np.ascontiguousarray``, ``view[...] = x``) each use compiles
Numba's generic implementation (typing, lowering and LLVM of a function of its own, per rank and dtype):
0.1-0.5 s each in a cold process, and a slice assignment ``view[...] = x`` brings in the formatting of its
shape-mismatch message, 5 s. An intrinsic is a few LLVM instructions that Numba emits at the call site: no
typing of a body, no function to compile, nothing to cache.

These take what generated code gives them (codegen checked the shapes when it traced): shapes as tuples of
integers (``-1`` allowed in ``reshape``), a NumPy scalar type as ``dtype`` (``np.float32``), arrays of one
shape in ``assign``. Each function is usable in Numba code only::

    @numba.njit
    def f(x):
        out = empty((x.shape[0], np.int64(2)), np.float32)
        assign(out, x)
        return reshape(out, (np.int64(-1),))
"""
from __future__ import annotations

from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.core.imputils import impl_ret_borrowed, impl_ret_new_ref
from numba.extending import intrinsic
from numba.np.arrayobj import make_array, populate_array


def _element_type(dtype):
    """The Numba scalar type of a ``dtype`` argument (``np.float32`` is typed as a NumberClass), or None."""
    if isinstance(dtype, types.NumberClass):
        return dtype.instance_type
    if isinstance(dtype, types.DType):
        return dtype.dtype
    return None


def _shape_count(shape) -> int | None:
    """The rank a shape argument gives: a tuple of integers, or one integer (rank 1); None otherwise."""
    if isinstance(shape, types.Integer):
        return 1
    if isinstance(shape, types.BaseTuple) and all(isinstance(t, types.Integer) for t in shape.types):
        return len(shape.types)
    return None


def _shape_values(context, builder, shape_type, shape) -> list:
    """The dimensions of a shape argument as LLVM intp values."""
    if isinstance(shape_type, types.Integer):
        return [context.cast(builder, shape, shape_type, types.intp)]
    items = cgutils.unpack_tuple(builder, shape, len(shape_type.types))
    return [context.cast(builder, v, t, types.intp) for v, t in zip(items, shape_type.types)]


def _c_strides(context, builder, shape: list, itemsize) -> list:
    strides = [itemsize]
    for n in reversed(shape[1:]):
        strides.append(builder.mul(strides[-1], n))
    return strides[::-1]


def _product(builder, values: list, one):
    total = one
    for v in values:
        total = builder.mul(total, v)
    return total


def _allocate(context, builder, array_type: types.Array, shape: list):
    """A new C-contiguous array of ``array_type`` and ``shape`` (LLVM intp values), owned by the NRT."""
    intp = context.get_value_type(types.intp)
    itemsize = intp(context.get_abi_sizeof(context.get_data_type(array_type.dtype)))
    size, overflow = intp(1), ir.Constant(ir.IntType(1), 0)
    for n in shape + [itemsize]:  # the byte count, with NumPy's check that it fits
        product = builder.smul_with_overflow(size, n)
        size = builder.extract_value(product, 0)
        overflow = builder.or_(overflow, builder.extract_value(product, 1))
    negative = ir.Constant(ir.IntType(1), 0)
    for n in shape:
        negative = builder.or_(negative, builder.icmp_signed("<", n, intp(0)))
    _check(context, builder, builder.or_(overflow, negative), "fnx: array allocation: bad or too large shape")
    align = context.get_preferred_array_alignment(array_type.dtype)
    meminfo = context.nrt.meminfo_alloc_aligned(builder, size, align)
    data = builder.bitcast(context.nrt.meminfo_data(builder, meminfo),
                           context.get_data_type(array_type.dtype).as_pointer())
    array = make_array(array_type)(context, builder)
    populate_array(array, data=data, shape=shape, strides=_c_strides(context, builder, shape, itemsize),
                   itemsize=itemsize, meminfo=meminfo)
    return array


def _copy_elements(context, builder, dest_type, dest, source_type, source) -> None:
    """``dest[...] = source`` element by element (arrays of one shape, any layouts), cast to ``dest``'s dtype."""
    intp = context.get_value_type(types.intp)
    shape = cgutils.unpack_tuple(builder, dest.shape, dest_type.ndim)
    source_shape = cgutils.unpack_tuple(builder, source.shape, source_type.ndim)
    differ = ir.Constant(ir.IntType(1), 0)
    for n, m in zip(shape, source_shape):
        differ = builder.or_(differ, builder.icmp_signed("!=", n, m))
    _check(context, builder, differ, "fnx: assignment between arrays of different shapes")
    source_strides = cgutils.unpack_tuple(builder, source.strides, source_type.ndim)
    dest_strides = cgutils.unpack_tuple(builder, dest.strides, dest_type.ndim)
    with cgutils.loop_nest(builder, shape, intp) as index:
        load = cgutils.get_item_pointer2(context, builder, source.data, source_shape, source_strides,
                                         source_type.layout, index)
        store = cgutils.get_item_pointer2(context, builder, dest.data, shape, dest_strides, dest_type.layout, index)
        value = context.unpack_value(builder, source_type.dtype, load)
        context.pack_value(builder, dest_type.dtype, context.cast(builder, value, source_type.dtype,
                                                                  dest_type.dtype), store)


@intrinsic
def select(typingctx, condition, if_true, if_false):
    """``if_true if condition else if_false`` for two scalars, as one LLVM ``select``: no branch, so Numba
    types no extra blocks (a ternary cost ~35 ms of compile time more per use) and a loop around it still
    vectorizes."""
    scalars = (types.Number, types.Boolean)
    if not (isinstance(condition, types.Boolean) and isinstance(if_true, scalars)
            and isinstance(if_false, scalars)):
        return None
    result = typingctx.unify_types(if_true, if_false)

    def codegen(context, builder, sig, args):
        return builder.select(args[0], context.cast(builder, args[1], if_true, result),
                              context.cast(builder, args[2], if_false, result))
    return result(condition, if_true, if_false), codegen


@intrinsic
def cast(typingctx, value, dtype):
    """``value`` (a number) converted to the scalar type ``dtype``: ``cast(0, x.dtype)`` is a zero of ``x``'s
    element type (``x.dtype.type(0)`` would be a float64 in Numba)."""
    element = _element_type(dtype)
    if element is None or not isinstance(value, (types.Number, types.Boolean)):
        return None

    def codegen(context, builder, sig, args):
        return context.cast(builder, args[0], value, element)
    return element(value, dtype), codegen


@intrinsic
def empty(typingctx, shape, dtype):
    """``np.empty(shape, dtype)``: a new C-contiguous array."""
    element, rank = _element_type(dtype), _shape_count(shape)
    if element is None or rank is None:
        return None
    array_type = types.Array(element, rank, "C")

    def codegen(context, builder, sig, args):
        array = _allocate(context, builder, array_type, _shape_values(context, builder, shape, args[0]))
        return impl_ret_new_ref(context, builder, array_type, array._getvalue())
    return array_type(shape, dtype), codegen


@intrinsic
def full(typingctx, shape, value, dtype):
    """``np.full(shape, value, dtype)``: a new C-contiguous array filled with the scalar ``value``."""
    element, rank = _element_type(dtype), _shape_count(shape)
    if element is None or rank is None or not isinstance(value, (types.Number, types.Boolean)):
        return None
    array_type = types.Array(element, rank, "C")

    def codegen(context, builder, sig, args):
        dims = _shape_values(context, builder, shape, args[0])
        array = _allocate(context, builder, array_type, dims)
        fill = context.cast(builder, args[1], value, element)
        with cgutils.for_range(builder, _product(builder, dims, context.get_constant(types.intp, 1))) as loop:
            context.pack_value(builder, element, fill, builder.gep(array.data, [loop.index]))
        return impl_ret_new_ref(context, builder, array_type, array._getvalue())
    return array_type(shape, value, dtype), codegen


@intrinsic
def reshape(typingctx, x, shape):
    """``x.reshape(shape)`` for a C-contiguous ``x``: a view (one ``-1`` in ``shape`` takes the rest). An array
    of layout "A" (a view, contiguous or not) is checked at run time."""
    rank = _shape_count(shape)
    if not isinstance(x, types.Array) or rank is None:
        return None
    array_type = types.Array(x.dtype, rank, "C", readonly=not x.mutable)  # a view of a read-only array is too

    def codegen(context, builder, sig, args):
        intp = context.get_value_type(types.intp)
        source = make_array(x)(context, builder, args[0])
        if x.layout != "C":
            _check_c_contiguous(context, builder, x, source)
        dims = _shape_values(context, builder, shape, args[1])
        known = intp(1)
        for n in dims:
            known = builder.select(builder.icmp_signed("<", n, intp(0)), known, builder.mul(known, n))
        size = _product(builder, cgutils.unpack_tuple(builder, source.shape, x.ndim), intp(1))
        nothing = builder.icmp_signed("==", known, intp(0))  # a zero-size target: -1 stands for 0
        rest = builder.select(nothing, intp(0), builder.sdiv(size, builder.select(nothing, intp(1), known)))
        dims = [builder.select(builder.icmp_signed("<", n, intp(0)), rest, n) for n in dims]
        _check(context, builder, builder.icmp_signed("!=", _product(builder, dims, intp(1)), size),
               "fnx: reshape to a shape of another size")
        view = make_array(array_type)(context, builder)
        populate_array(view, data=source.data, shape=dims,
                       strides=_c_strides(context, builder, dims, source.itemsize),
                       itemsize=source.itemsize, meminfo=source.meminfo, parent=source.parent)
        return impl_ret_borrowed(context, builder, array_type, view._getvalue())
    return array_type(x, shape), codegen


def _check_c_contiguous(context, builder, array_type: types.Array, array) -> None:
    """Raise ValueError unless ``array``'s strides are those of a C-contiguous array (size-1 axes excepted)."""
    intp = context.get_value_type(types.intp)
    shape = cgutils.unpack_tuple(builder, array.shape, array_type.ndim)
    strides = cgutils.unpack_tuple(builder, array.strides, array_type.ndim)
    expected, bad = array.itemsize, ir.Constant(ir.IntType(1), 0)
    for n, stride in zip(reversed(shape), reversed(strides)):
        mismatch = builder.and_(builder.icmp_signed("!=", stride, expected), builder.icmp_signed(">", n, intp(1)))
        bad = builder.or_(bad, mismatch)
        expected = builder.mul(expected, n)
    _check(context, builder, bad, "fnx: reshape of a non-contiguous array")


def _check(context, builder, failed, message: str) -> None:
    """Raise ValueError(message) where the LLVM bool ``failed`` is true."""
    with builder.if_then(failed, likely=False):
        context.call_conv.return_user_exc(builder, ValueError, (message,))


@intrinsic
def contiguous(typingctx, x):
    """``np.ascontiguousarray(x)``: ``x`` itself when its type is C-contiguous, else a C-contiguous copy."""
    if not isinstance(x, types.Array):
        return None
    array_type = x if x.layout == "C" else x.copy(layout="C", readonly=False)

    def codegen(context, builder, sig, args):
        if x.layout == "C":
            return impl_ret_borrowed(context, builder, array_type, args[0])
        return _copied(context, builder, x, args[0], array_type)
    return array_type(x), codegen


@intrinsic
def copy(typingctx, x):
    """``x.copy()``: a new C-contiguous array."""
    if not isinstance(x, types.Array):
        return None
    array_type = x.copy(layout="C", readonly=False)

    def codegen(context, builder, sig, args):
        return _copied(context, builder, x, args[0], array_type)
    return array_type(x), codegen


def _copied(context, builder, source_type, value, array_type):
    source = make_array(source_type)(context, builder, value)
    out = _allocate(context, builder, array_type, cgutils.unpack_tuple(builder, source.shape, source_type.ndim))
    _copy_elements(context, builder, array_type, out, source_type, source)
    return impl_ret_new_ref(context, builder, array_type, out._getvalue())


@intrinsic
def assign(typingctx, view, x):
    """``view[...] = x`` for arrays of one shape (any layouts), cast to ``view``'s dtype."""
    if not (isinstance(view, types.Array) and isinstance(x, types.Array) and view.ndim == x.ndim):
        return None

    def codegen(context, builder, sig, args):
        _copy_elements(context, builder, view, make_array(view)(context, builder, args[0]),
                       x, make_array(x)(context, builder, args[1]))
        return context.get_dummy_value()
    return types.none(view, x), codegen
