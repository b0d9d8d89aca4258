"""Debugging inside jit (docs/debugging.md): ``fnx.debug.print``/``callback`` eagerly, on the first tier,
compiled, under vmap, grad, jvp, scan and while; the ``debug_nans``/``debug_infs`` checker naming the first
equation and the user's line; ``Lowered.profile``'s table; ``Lowered.as_text(optimized=True)``."""
import re

import hypothesis.extra.numpy as hnp
import hypothesis.strategies as st
import numpy as np
import pytest
from hypothesis import given, settings

import fnx
import fnx.numpy as fnp
from fnx.core.avals import ShapedArray
from fnx.core.errors import source_line
from fnx.core.tracing import eval_jaxpr_numpy
from fnx.lower.cpu import host_callbacks
from fnx.lower.cpu.program import lower_program
from fnx.lower.fusion import Cluster, fuse


def _line_of(marker: str) -> int:
    """The line of this file holding ``marker`` (a comment on the line under test)."""
    with open(__file__) as f:
        return next(i for i, line in enumerate(f, 1) if marker in line and "_line_of" not in line)


# -- fnx.debug.print and callback -------------------------------------------------------------------------------

def affine(x):
    fnx.debug.print("x = {}", x)
    y = x * 2.0 + 1.0
    fnx.debug.print("y = {y}, n = {n}", y=y, n=3)
    return y


affine_jit = fnx.jit(affine)


def _expected(x) -> str:
    x = np.asarray(x)
    return f"x = {x}\ny = {x * 2.0 + 1.0}, n = 3\n"


@pytest.mark.parametrize("x", [np.float64(1.5), np.arange(3.0), np.arange(4, dtype=np.float32).reshape(2, 2)])
def test_print_eager_and_compiled_in_program_order(capsys, x):
    affine(fnp.asarray(x))
    assert capsys.readouterr().out == _expected(x)
    affine_jit(fnp.asarray(x))  # compiled (the tests compile in the call)
    assert capsys.readouterr().out == _expected(x)


show = fnx.jit(lambda x: (fnx.debug.print("{} {!r}", x, "static"), x)[1])


@pytest.mark.parametrize("x", [np.int32(-3), np.bool_(True), np.arange(6, dtype=np.int64).reshape(3, 2) - 2,
                               np.array([True, False]), np.array([np.inf, -0.0], np.float32)])
def test_print_keeps_dtypes_as_numpy_formats_them(capsys, x):
    show(fnp.asarray(x))
    assert capsys.readouterr().out == f"{np.asarray(x)} 'static'\n"


@given(hnp.arrays(st.sampled_from([np.float32, np.float64, np.int32, np.int64, np.bool_]),
                  hnp.array_shapes(min_dims=0, max_dims=3, max_side=3)))
@settings(max_examples=40, deadline=None)
def test_compiled_values_reach_the_callback_with_their_traced_types(x):
    """What compiled code hands over (Numba boxes a rank-0 value as a Python scalar) becomes the traced array."""
    seen = []
    key = host_callbacks.register(seen.append, [ShapedArray(x.shape, x.dtype)])
    host_callbacks.call(key, x.item() if x.ndim == 0 else x)
    (got,), = [seen]
    assert got.dtype == x.dtype and got.shape == x.shape and np.array_equal(got, x, equal_nan=x.dtype.kind == "f")
    assert x.ndim == 0 or not np.shares_memory(got, x)  # a copy: compiled code may reuse its arrays


def test_print_on_the_first_tier(capsys):
    code = fnx.jit(affine).lower(fnp.arange(3.0)).jaxpr
    eval_jaxpr_numpy(code, np.arange(3.0))  # the NumPy tier runs the same jaxpr
    assert capsys.readouterr().out == _expected(np.arange(3.0))


def test_print_compiled_code_holds_the_callback():
    lowered = affine_jit.lower(fnp.arange(3.0))
    assert "numba.objmode" in lowered.executable.source and "hc.call(" in lowered.executable.source
    assert "debug_callback[callback=print('x = {}')]" in str(lowered.jaxpr)


def test_print_with_unused_values_is_kept():
    f = fnx.jit(lambda x: (fnx.debug.print("{}", fnp.sum(x)), x * 1.0)[1])
    assert any(e.primitive.name == "debug_callback" for e in lower_program(f.lower(fnp.ones(2)).jaxpr).jaxpr.eqns)


def test_vmap_prints_each_example(capsys):
    xs = np.arange(6.0).reshape(3, 2)
    fnx.jit(fnx.vmap(affine))(fnp.asarray(xs))
    lines = capsys.readouterr().out.splitlines()
    assert lines == [f"x = {x}" for x in xs] + [f"y = {x * 2.0 + 1.0}, n = 3" for x in xs]  # as JAX's


def test_vmap_in_axes_1_and_an_unbatched_operand(capsys):
    xs, c = np.arange(6.0).reshape(2, 3), np.float64(7.0)
    fnx.vmap(lambda x, c: fnx.debug.print("{} {}", x, c), in_axes=(1, None))(fnp.asarray(xs), c)
    assert capsys.readouterr().out.splitlines() == [f"{xs[:, i]} 7.0" for i in range(3)]


def test_grad_and_jvp_print_the_primals_once(capsys):
    x = np.array([0.5, 2.0])
    f = lambda x: fnp.sum(affine(x) ** 2)  # noqa: E731
    for run in (fnx.grad(f), fnx.jit(fnx.grad(f)), lambda x: fnx.jvp(f, (x,), (fnp.ones(2),)),
                fnx.grad(fnx.jit(f)), fnx.jit(fnx.grad(fnx.jit(f))), fnx.grad(fnx.checkpoint(f)),
                fnx.jit(fnx.grad(fnx.checkpoint(f))), fnx.jacfwd(f), fnx.jit(fnx.hessian(f))):
        run(fnp.asarray(x))
        assert capsys.readouterr().out == _expected(x)


def test_scan_prints_once_per_iteration(capsys):
    def body(carry, x):
        fnx.debug.print("carry {} x {}", carry, x)
        return carry + x, carry
    xs = np.arange(4.0)
    fnx.jit(lambda xs: fnx.lax.scan(body, 0.0, xs))(fnp.asarray(xs))
    carries = np.concatenate([[0.0], np.cumsum(xs)[:-1]])
    assert capsys.readouterr().out.splitlines() == [f"carry {c} x {x}" for c, x in zip(carries, xs)]


def test_while_loop_prints_once_per_iteration(capsys):
    def body(i):
        fnx.debug.print("i = {}", i)
        return i + 1
    fnx.jit(lambda n: fnx.lax.while_loop(lambda i: i < n, body, 0))(5)
    assert capsys.readouterr().out.splitlines() == [f"i = {i}" for i in range(5)]


def test_callback_gets_numpy_arrays_of_the_traced_types_and_static_leaves():
    seen = []
    f = fnx.jit(lambda x, s: fnx.debug.callback(lambda tree, tag: seen.append((tree, tag)),
                                               {"a": x, "b": (s, x[0])}, tag="label"))
    x = np.arange(3, dtype=np.float32)
    f(fnp.asarray(x), np.int32(4))
    (tree, tag), = seen
    assert tag == "label" and tree["a"].dtype == np.float32 and np.array_equal(tree["a"], x)
    assert tree["b"][0].shape == () and tree["b"][0].dtype == np.int32 and tree["b"][0] == 4
    assert tree["b"][1].dtype == np.float32 and tree["b"][1] == x[0]


def test_print_needs_a_format_string():
    with pytest.raises(TypeError, match="fnx.debug.print: the format must be a string"):
        fnx.debug.print(3.0)


# -- debug_nans / debug_infs -------------------------------------------------------------------------------------

@pytest.fixture
def debug_nans():
    fnx.config.update("debug_nans", True)
    yield
    fnx.config.update("debug_nans", False)
    fnx.config.update("debug_infs", False)


def log_shifted(x):
    y = x * 2.0
    return fnp.exp(fnp.log(y - 1.0))  # nan-line: log


log_shifted_jit = fnx.jit(log_shifted)


def _assert_names(error, primitive: str, marker: str) -> None:
    text = str(error.value)
    line = _line_of(marker)
    assert re.search(rf"the first to produce (NaN|inf) is\n  {primitive} of ", text), text
    assert f"made at {__file__}:{line} (" in text, text


def test_debug_nans_names_the_primitive_and_line(debug_nans):
    with pytest.raises(FloatingPointError) as error:
        log_shifted_jit(fnp.asarray([1.0, 0.25]))
    _assert_names(error, "log", "nan-line: log")
    assert "log of f64[2] -> f64[2]" in str(error.value) and "jit(log_shifted)" in str(error.value)


def test_debug_nans_off_is_the_plain_call():
    x = fnp.asarray([1.0, 0.25])
    out = log_shifted_jit(x)  # NaN, no error
    assert np.isnan(np.asarray(out)[1])
    entry = next(iter(log_shifted_jit._entries.values()))
    assert entry.call is entry.code.executable.call  # no check on the fast path


def test_debug_nans_inside_a_scan_body(debug_nans):
    def h(xs):
        def body(c, x):
            return c + fnp.sqrt(x - 2.0), c  # nan-line: sqrt
        return fnx.lax.scan(body, 0.0, xs)[0]
    with pytest.raises(FloatingPointError) as error:
        fnx.jit(h)(fnp.arange(5.0))
    _assert_names(error, "sqrt", "nan-line: sqrt")
    assert "\n  in scan, at " in str(error.value)


def test_debug_nans_inside_a_nested_jit(debug_nans):
    inner = fnx.jit(lambda x: fnp.arcsin(x * 3.0))  # nan-line: arcsin
    with pytest.raises(FloatingPointError) as error:
        fnx.jit(lambda x: inner(x) + 1.0)(fnp.asarray([0.1, 0.5]))
    _assert_names(error, "asin", "nan-line: arcsin")
    assert "\n  in jit, at " in str(error.value)


def test_debug_nans_in_a_jitted_function_under_eager_grad(debug_nans):
    with pytest.raises(FloatingPointError) as error:
        fnx.grad(lambda x: fnp.sum(log_shifted_jit(x)))(fnp.asarray([1.0, 0.25]))
    _assert_names(error, "log", "nan-line: log")


def test_debug_infs_in_a_gradient(debug_nans):
    fnx.config.update("debug_nans", False)
    fnx.config.update("debug_infs", True)
    f = fnx.jit(fnx.grad(lambda x: fnp.sum(fnp.sqrt(x))))  # nan-line: grad of sqrt
    assert np.allclose(f(fnp.asarray([1.0, 4.0])), [0.5, 0.25])
    with pytest.raises(FloatingPointError) as error:
        f(fnp.asarray([1.0, 0.0]))
    _assert_names(error, "div", "nan-line: grad of sqrt")  # sqrt's derivative, 0.5 / sqrt(x)


def test_debug_nans_rerun_does_not_print_again(debug_nans, capsys):
    f = fnx.jit(lambda x: (fnx.debug.print("x = {}", x), fnp.log(x))[1])
    with pytest.raises(FloatingPointError, match="produce NaN is\n  log of f64\\[\\]"):
        f(-1.0)
    assert capsys.readouterr().out == "x = -1.0\n"


def test_debug_nans_with_nan_inputs(debug_nans):
    with pytest.raises(FloatingPointError, match="its inputs already held NaN"):
        fnx.jit(lambda x: x + 1.0)(fnp.asarray([np.nan]))


def test_debug_settings_take_booleans():
    with pytest.raises(ValueError, match="debug_nans must be True or False"):
        fnx.config.update("debug_nans", "yes")


def _tanh_times_3(x):
    return fnp.tanh(x) * 3.0  # source-line


def test_traced_equations_record_the_users_line_through_transforms(debug_nans):
    line = _line_of("source-line")
    f = _tanh_times_3
    for g, x in ((f, fnp.asarray(0.5)), (fnx.grad(f), fnp.asarray(0.5)), (fnx.vmap(f), fnp.ones(2))):
        closed = fnx.make_jaxpr(g)(x)
        assert all(source_line(e.source).startswith(f"{__file__}:{line} (") for e in closed.eqns)


def test_traces_record_no_line_while_no_check_is_on():
    closed = fnx.make_jaxpr(_tanh_times_3)(fnp.asarray(0.5))
    assert [e.source for e in closed.eqns] == [None, None]


def test_a_function_jitted_before_debug_nans_was_on_names_the_line():
    f = fnx.jit(log_shifted)
    x = fnp.asarray([1.0, 0.25])
    assert np.isnan(np.asarray(f(x))[1])  # traced with debug_nans off: no line recorded
    fnx.config.update("debug_nans", True)
    try:
        with pytest.raises(FloatingPointError) as error:
            f(x)
    finally:
        fnx.config.update("debug_nans", False)
    _assert_names(error, "log", "nan-line: log")


# -- the optimized program and its profile ---------------------------------------------------------------------

def layer(w, b, x):
    h = fnp.tanh(x @ w + b)

    def body(c, row):
        return c + fnp.sum(fnp.exp(row)), c
    total, _ = fnx.lax.scan(body, 0.0, h)
    return fnp.sum(h * 2.0, axis=1), total


W, B, X = fnp.ones((16, 8)) * 0.01, fnp.ones(8), fnp.ones((32, 16))
layer_lowered = fnx.jit(layer).lower(W, B, X)


def _items() -> dict:
    """label -> item of the lowered program, from the fusion analysis itself."""
    program = lower_program(layer_lowered.jaxpr)
    by_name = {}
    _walk(program.jaxpr, program.module.function_of, by_name)
    return {f"{name}.{i}": item for name, jaxpr in by_name.items() for i, item in enumerate(fuse(jaxpr))}


def _walk(jaxpr, function_of, found):
    found[function_of[id(jaxpr)]] = jaxpr
    for eqn in jaxpr.eqns:
        for v in eqn.params.values():
            if hasattr(v, "jaxpr") and id(v.jaxpr) in function_of:
                _walk(v.jaxpr, function_of, found)


def test_optimized_text_names_each_fused_group():
    text = layer_lowered.as_text(optimized=True)
    items = _items()
    assert any(isinstance(i, Cluster) for i in items.values())
    blocks = re.split(r"\n    (?=f\d+\.\d+ )", text)
    for label, item in items.items():
        block = next(b for b in blocks if b.startswith(f"{label} "))
        if isinstance(item, Cluster):
            assert re.match(rf"{label} +fused loop over \[{','.join(map(str, item.shape))}\]: ", block)
            assert [line.split(" = ")[1].split()[0].split("[")[0] for line in block.splitlines()[1:]
                    if line.startswith(" " * 12)] == [e.primitive.name for e in item.eqns]
        else:
            assert f"= {item.primitive.name}" in block.splitlines()[0]
    assert "f1 (called by f0." in text and "scan[jaxpr=f1," in text


def test_profile_lists_every_item_with_its_runs():
    profile = layer_lowered.profile(W, B, X, repeat=3, show=False)
    rows = {r.label: r for r in profile.rows}
    items = _items()
    assert set(rows) == set(items)
    for label, row in rows.items():
        assert row.runs == (32 if label.startswith("f1.") else 1)  # the scan body runs once per row of h
        assert 0 <= row.self <= row.total + 1e-12
    scan = next(label for label, item in items.items() if not isinstance(item, Cluster)
                and item.primitive.name == "scan")
    body = sum(r.total for label, r in rows.items() if label.startswith("f1."))
    assert rows[scan].total >= body and np.isclose(rows[scan].self, rows[scan].total - body)
    selfs = [r.self for r in profile.rows]
    assert selfs == sorted(selfs, reverse=True) and profile.seconds > 0
    text = str(profile)
    assert all(f" {label} " in text for label in rows)


def test_profile_prints_the_table_and_checks_its_arguments(capsys):
    profile = layer_lowered.profile(W, B, X, repeat=1)
    assert capsys.readouterr().out == str(profile) + "\n"
    with pytest.raises(TypeError, match=r"lowered for f64\[16,8\]"):
        layer_lowered.profile(W, B, fnp.ones((4, 16)))
