"""The IR: golden printed jaxprs, the type checker, the primitive registry and user-defined primitives."""
import numpy as np
import pytest

import fnx
import fnx.numpy as fnp
from fnx.core import primitive
from fnx.core.avals import ShapedArray
from fnx.core.errors import ConcretizationError, FnxTypeError
from fnx.core.ir import Eqn, Jaxpr, JaxprTypeError, Var

F32 = np.ones(3, np.float32)


def test_print_one_equation_on_one_line():
    assert str(fnx.make_jaxpr(fnp.sin)(F32)) == "{ lambda ; a:f32[3]. let b:f32[3] = sin a in (b,) }"


def test_print_several_equations_and_literals():
    text = str(fnx.make_jaxpr(lambda x, y: fnp.tanh(x) * 2.0 + y)(F32, np.float32(1)))
    assert text == (
        "{ lambda ; a:f32[3] b:f32[]. let\n"
        "    c:f32[3] = tanh a\n"
        "    d:f32[3] = mul c 2.0:f32[]\n"
        "    e:f32[3] = add d b\n"
        "  in (e,) }")


def test_print_constants_params_and_pytree_outputs():
    w = np.arange(6.0).reshape(2, 3)
    text = str(fnx.make_jaxpr(lambda x: {"s": fnp.sum(x @ w, axis=0), "t": x.T})(np.ones((4, 2))))
    assert text.startswith("{ lambda a:f64[2,3]; b:f64[4,2]. let")
    assert "dot_general[dimension_numbers=(((1,), (0,)), ((), ()))] b a" in text
    assert "reduce_sum[axes=(0,)]" in text and "transpose[permutation=(1, 0)] b" in text


def test_print_no_equations():
    assert str(fnx.make_jaxpr(lambda x: x)(F32)) == "{ lambda ; a:f32[3]. let in (a,) }"


def test_make_jaxpr_static_argnums_and_return_shape():
    closed, shape = fnx.make_jaxpr(lambda x, n: x.reshape(n, -1), static_argnums=1, return_shape=True)(
        np.zeros(6), 2)
    assert shape == ShapedArray((2, 3), np.dtype("float64"))
    assert "reshape[new_sizes=(2, 3)]" in str(closed)


def test_check_jaxpr_accepts_traced_and_rejects_bad_types():
    closed = fnx.make_jaxpr(lambda x: fnp.exp(x) + 1.0)(F32)
    fnx.check_jaxpr(closed.jaxpr)
    bad = Var(ShapedArray((4,), np.dtype("float32")))
    a = closed.jaxpr.invars[0]
    with pytest.raises(JaxprTypeError, match="declared outputs"):
        fnx.check_jaxpr(Jaxpr([], [a], [Eqn(fnx.lax.exp_p, [a], [bad])], [bad]))
    undefined = Var(a.aval)
    with pytest.raises(JaxprTypeError, match="before it is defined"):
        fnx.check_jaxpr(Jaxpr([], [a], [Eqn(fnx.lax.exp_p, [undefined], [bad])], [bad]))


def test_every_primitive_has_abstract_eval_and_impl():
    import fnx.lax  # noqa: F401  (registers everything)
    assert len(primitive.primitives) > 60
    missing = [name for name, p in primitive.primitives.items()
               if p not in primitive.abstract_eval_rules or p not in primitive.impl_rules]
    assert missing == []


def test_user_defined_primitive():
    cube_p = fnx.def_primitive("test_cube", lambda x: x, lambda x: x ** 3, extension=True)
    assert np.asarray(cube_p.bind(fnp.array([2.0]))).tolist() == [8.0]
    closed = fnx.make_jaxpr(lambda x: cube_p.bind(x))(F32)
    assert "test_cube a" in str(closed)
    assert np.asarray(fnx.eval_jaxpr(closed.jaxpr, closed.consts, np.full(3, 2, np.float32))[0]).tolist() == [8.0] * 3
    with pytest.raises(ValueError, match="already registered"):
        fnx.def_primitive("test_cube", lambda x: x, lambda x: x)


def test_nested_traces_close_over_outer_tracers():
    def outer(x):
        inner = fnx.make_jaxpr(lambda y: y * x)(np.ones(3, np.float32))
        assert len(inner.consts) == 1  # the outer tracer became a constant of the inner jaxpr
        return fnx.eval_jaxpr(inner.jaxpr, inner.consts, x)[0]
    closed = fnx.make_jaxpr(outer)(F32)
    assert [e.primitive.name for e in closed.eqns] == ["mul"]
    np.testing.assert_array_equal(fnx.eval_jaxpr(closed.jaxpr, closed.consts, np.full(3, 3, np.float32))[0], 9.0)


def test_bool_of_tracer_names_the_user_line():
    def f(x):
        if x.sum() > 0:  # the line the error must point at
            return x
        return -x
    with pytest.raises(ConcretizationError) as info:
        fnx.make_jaxpr(f)(F32)
    message = str(info.value)
    assert "bool()" in message and "bool[]" in message and "fnx.lax.cond" in message
    assert "test_core_ir.py" in message and "if x.sum() > 0" in message


def test_int_and_index_of_tracer_raise():
    with pytest.raises(ConcretizationError, match="int()"):
        fnx.make_jaxpr(lambda x: int(x[0]))(F32)
    with pytest.raises(ConcretizationError, match="index"):
        fnx.make_jaxpr(lambda x, i: [1, 2, 3][i])(F32, np.int64(1))
    with pytest.raises(ConcretizationError, match="NumPy"):
        fnx.make_jaxpr(lambda x: np.asarray(x))(F32)


def test_leaked_tracer_is_reported():
    leaked = []
    fnx.make_jaxpr(lambda x: leaked.append(x) or x)(F32)
    with pytest.raises(FnxTypeError, match="escaped"):
        fnx.make_jaxpr(lambda y: y + leaked[0])(F32)


def test_shape_error_names_operation_shapes_and_line():
    with pytest.raises(FnxTypeError) as info:
        fnp.add(np.ones(3), np.ones(4))
    message = str(info.value)
    assert "add" in message and "(3,)" in message and "(4,)" in message and "test_core_ir.py" in message
    with pytest.raises(FnxTypeError) as info:
        fnx.make_jaxpr(lambda x, y: x * y)(np.ones((2, 3)), np.ones((3, 2)))
    assert "multiply" in str(info.value) and "(2, 3)" in str(info.value) and "(3, 2)" in str(info.value)


def test_unsupported_dtype_is_named():
    with pytest.raises(FnxTypeError, match="sin: dtype float16 is not supported"):
        fnp.sin(np.ones(2, np.float16))
    with pytest.raises(FnxTypeError, match="float16"):
        fnp.zeros(3, dtype="float16")
    with pytest.raises(FnxTypeError, match="unsupported element type"):
        fnp.array(["a", "b"])


def test_non_array_argument_is_reported():
    with pytest.raises(FnxTypeError, match="str"):
        fnx.make_jaxpr(lambda x: x)("hello")
