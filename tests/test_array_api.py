"""The Array API standard (2023.12) in fnx.numpy, against NumPy 2 (which implements it): the inspection
namespace, the data type functions, DLPack in and out with shared memory, unstack, ``device=`` and the
standard's keyword arguments. The official suite runs with tools/run_array_api_tests.py (docs/array_api.md)."""
from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fnx
import fnx.numpy as fnp
from fnx.core import dtypes
from fnx.core.errors import FnxTypeError
from tests.helpers import check_against_numpy, make_array

SUPPORTED = dtypes.SUPPORTED_DTYPES
KINDS = ["bool", "signed integer", "unsigned integer", "integral", "real floating", "complex floating", "numeric"]
INFO, NP_INFO = fnp.__array_namespace_info__(), np.__array_namespace_info__()


# -- the inspection namespace ------------------------------------------------------------------------------

def test_version_and_namespace_of_arrays_and_tracers():
    assert fnp.__array_api_version__ == "2023.12"
    assert fnp.ones(2).__array_namespace__() is fnp
    assert fnp.ones(2).__array_namespace__(api_version="2023.12") is fnp
    seen = []
    fnx.make_jaxpr(lambda x: seen.append(x.__array_namespace__()) or x)(np.ones(2))
    assert seen == [fnp]
    with pytest.raises(ValueError, match="2023.12"):
        fnp.ones(2).__array_namespace__(api_version="2099.12")


@pytest.mark.parametrize("kind", [None, *KINDS, ("bool", "real floating")])
def test_info_dtypes_are_numpys_that_fnx_supports(kind):
    expected = {name: dt for name, dt in NP_INFO.dtypes(kind=kind).items() if dt in SUPPORTED}
    assert INFO.dtypes(kind=kind) == expected
    assert all(getattr(fnp, name) == dt for name, dt in INFO.dtypes(kind=kind).items())


def test_info_defaults_devices_and_capabilities():
    defaults = INFO.default_dtypes(device=INFO.default_device())
    assert defaults["real floating"] == fnp.asarray(1.0).dtype == fnx.config.default_float
    assert defaults["integral"] == fnp.asarray(1).dtype == defaults["indexing"] == fnp.argmax(fnp.ones(2)).dtype
    assert ("complex floating" in defaults) == any(dt.kind == "c" for dt in SUPPORTED)
    assert INFO.default_device() == fnp.ones(1).device == fnx.devices()[0]
    assert INFO.devices() == fnx.devices()
    assert set(INFO.capabilities()) == set(NP_INFO.capabilities()) - {"max dimensions"}


# -- data type functions -----------------------------------------------------------------------------------

NAMES = [dt.name for dt in SUPPORTED]


@pytest.mark.parametrize("kind", KINDS + [("integral", "bool"), np.float32, fnp.int8])
def test_isdtype_matches_numpy(kind):
    np_kind = np.dtype(kind) if isinstance(kind, type) else kind
    for name in NAMES:
        for dtype in (np.dtype(name), getattr(fnp, name), fnp.zeros(1, name)):
            assert fnp.isdtype(dtype, kind) == np.isdtype(np.dtype(name), np_kind), (name, kind)


def test_isdtype_reads_complex_by_kind():
    """What makes complex dtypes work here once fnx supports them: the kind letter, not a list of dtypes."""
    for dtype in (np.complex64, np.complex128):
        assert fnp.isdtype(dtype, "complex floating") and fnp.isdtype(dtype, "numeric")
        assert not fnp.isdtype(dtype, "real floating")
        assert fnp.can_cast(np.float32, dtype) and not fnp.can_cast(dtype, np.float64)


def test_can_cast_matches_numpy_safe_casting():
    for a, b in itertools.product(NAMES, repeat=2):
        assert fnp.can_cast(getattr(fnp, a), fnp.dtype(b)) == np.can_cast(a, b, casting="safe"), (a, b)
    assert fnp.can_cast(fnp.ones(2, "int8"), fnp.int16)
    assert fnp.can_cast(fnp.bool, fnp.bool)  # fnp.bool is NumPy's bool type, not a dtype instance


@pytest.mark.parametrize("name", ["float32", "float64"])
def test_finfo_matches_numpy_with_python_floats(name):
    info, expected = fnp.finfo(getattr(fnp, name)), np.finfo(name)
    for attribute in ("eps", "max", "min", "smallest_normal"):
        assert type(getattr(info, attribute)) is float and getattr(info, attribute) == getattr(expected, attribute)
    assert info.bits == expected.bits and info.dtype == expected.dtype
    assert info.tiny == expected.tiny and info.resolution == expected.resolution  # NumPy's others forwarded
    assert fnp.finfo(fnp.ones(1, name)).eps == expected.eps


@pytest.mark.parametrize("name", [n for n in NAMES if n[0] in "iu"])
def test_iinfo_matches_numpy(name):
    info, expected = fnp.iinfo(getattr(fnp, name)), np.iinfo(name)
    assert (info.bits, info.min, info.max, info.dtype) == (expected.bits, expected.min, expected.max, expected.dtype)
    assert fnp.iinfo(fnp.zeros(1, name)).max == expected.max


def test_data_type_functions_name_bad_input():
    with pytest.raises(FnxTypeError, match="finfo: needs a floating dtype, got int32"):
        fnp.finfo(fnp.int32)
    with pytest.raises(FnxTypeError, match="iinfo: needs an integer dtype, got float64"):
        fnp.iinfo(fnp.float64)
    with pytest.raises(FnxTypeError, match="isdtype: unknown kind 'floating'"):
        fnp.isdtype(fnp.float32, "floating")
    with pytest.raises(FnxTypeError, match="can_cast: 'nonsense' is not a dtype"):
        fnp.can_cast("nonsense", fnp.float32)


# -- DLPack ------------------------------------------------------------------------------------------------

def test_numpy_reads_an_fnx_array_without_a_copy_and_cannot_write_it():
    x = fnp.arange(6.0).reshape(2, 3)
    out = np.from_dlpack(x)
    assert np.shares_memory(out, np.asarray(x)) and not out.flags.writeable
    np.testing.assert_array_equal(out, np.arange(6.0).reshape(2, 3))
    assert x.__dlpack_device__() == (1, 0)  # kDLCPU, device 0
    assert not np.shares_memory(np.from_dlpack(x, copy=True), np.asarray(x))


def test_fnx_reads_a_numpy_array_without_a_copy():
    a = np.arange(5, dtype=np.int32)
    x = fnp.from_dlpack(a)
    assert isinstance(x, fnx.Array) and x.dtype == np.int32 and np.shares_memory(np.asarray(x), a)
    np.testing.assert_array_equal(fnp.cumsum(x), np.cumsum(a))
    copied = fnp.from_dlpack(a, copy=True)
    assert not np.shares_memory(np.asarray(copied), a)
    np.testing.assert_array_equal(copied, a)
    assert fnp.from_dlpack(x) is x


class _LegacyConsumer:
    """A DLPack 0.x consumer's view of ``x``: it asks without ``max_version`` (and so can't be told read-only)."""

    def __init__(self, x, **kwargs):
        self.x, self.kwargs = x, kwargs

    def __dlpack__(self, **_):
        return self.x.__dlpack__(**self.kwargs)

    def __dlpack_device__(self):
        return self.x.__dlpack_device__()


def test_an_old_dlpack_consumer_gets_a_copy_unless_it_asks_for_no_copy():
    x = fnp.arange(4.0)
    assert not np.shares_memory(np.from_dlpack(_LegacyConsumer(x)), np.asarray(x))
    assert np.shares_memory(np.from_dlpack(_LegacyConsumer(x, copy=False)), np.asarray(x))


def test_from_dlpack_names_what_it_cannot_read():
    with pytest.raises(FnxTypeError, match="from_dlpack: cannot read list"):
        fnp.from_dlpack([1.0, 2.0])
    with pytest.raises(FnxTypeError, match="from_dlpack: dtype float16 is not supported"):
        fnp.from_dlpack(np.ones(2, np.float16))


# -- manipulation and creation -----------------------------------------------------------------------------

@settings(max_examples=25, deadline=None)
@given(shape=st.lists(st.integers(0, 3), min_size=1, max_size=4), data=st.data())
def test_unstack_matches_numpy(shape, data):
    axis = data.draw(st.integers(-len(shape), len(shape) - 1), label="axis")
    x = make_array(tuple(shape), "float64")
    check_against_numpy(lambda v: fnp.unstack(v, axis=axis), lambda v: np.unstack(v, axis=axis), x)


def test_unstack_under_jit_grad_and_its_errors():
    x = np.arange(6.0).reshape(2, 3)
    f = fnx.jit(lambda v: fnp.unstack(v, axis=1)[2] * 2.0)
    np.testing.assert_array_equal(f(x), x[:, 2] * 2.0)
    np.testing.assert_array_equal(fnx.grad(lambda v: fnp.unstack(v)[1].sum())(x), [[0, 0, 0], [1, 1, 1]])
    with pytest.raises(FnxTypeError, match="unstack: needs an array of at least 1 dimension"):
        fnp.unstack(fnp.asarray(1.0))
    with pytest.raises(FnxTypeError, match="unstack"):
        fnp.unstack(fnp.ones((2, 2)), axis=2)


CREATORS = [(lambda d: fnp.zeros(2, device=d)), (lambda d: fnp.ones_like(fnp.ones(2), device=d)),
            (lambda d: fnp.full((2,), 3.0, device=d)), (lambda d: fnp.arange(2, device=d)),
            (lambda d: fnp.eye(2, device=d)), (lambda d: fnp.linspace(0, 1, 2, device=d)),
            (lambda d: fnp.asarray([1, 2], device=d)), (lambda d: fnp.astype(fnp.ones(2), fnp.int8, device=d)),
            (lambda d: fnp.empty_like(fnp.ones(2), device=d)), (lambda d: fnp.ones(2).to_device(d))]


@pytest.mark.parametrize("make", CREATORS)
def test_creation_takes_the_standards_device(make):
    for device in (None, "cpu", INFO.default_device()):
        assert make(device).device == fnx.devices()[0]


def test_the_standards_keyword_arguments():
    assert fnp.reshape(fnp.arange(6), (2, 3), copy=False).shape == (2, 3)
    a = np.ones(3, np.float32)
    assert fnp.asarray(a, dtype=fnp.float32, copy=False).dtype == np.float32
    with pytest.raises(ValueError, match="asarray: copy=False, but converting to float64 needs a copy"):
        fnp.asarray(a, dtype=fnp.float64, copy=False)


@settings(max_examples=25, deadline=None)
@given(batch1=st.lists(st.integers(1, 3), max_size=2), batch2=st.lists(st.integers(1, 3), max_size=2),
       n=st.integers(0, 4), seed=st.integers(0, 2**16))
def test_vecdot_matches_numpy_and_broadcasts_only_the_other_axes(batch1, batch2, n, seed):
    batch2 = [1 if i % 2 else b for i, b in enumerate(batch2)]  # broadcastable against batch1 often enough
    a, b = make_array(tuple(batch1) + (n,), "float64", seed), make_array(tuple(batch2) + (n,), "float64", seed + 1)
    try:
        expected = np.vecdot(a, b)
    except ValueError:
        with pytest.raises(FnxTypeError, match="vecdot"):
            fnp.vecdot(a, b)
        return
    check_against_numpy(fnp.vecdot, np.vecdot, a, b, rtol=1e-12)
    assert fnp.linalg.vecdot(a, b).shape == expected.shape
    with pytest.raises(FnxTypeError, match="vecdot: .*axes -1 differ in size"):
        fnp.vecdot(a, make_array(tuple(batch2) + (n + 1,), "float64"))


@pytest.mark.parametrize("mask", [True, False, np.True_, np.False_, fnp.asarray(True), fnp.asarray(False)])
@pytest.mark.parametrize("shape", [(), (3,), (2, 3)])
def test_a_lone_boolean_scalar_index_is_numpys_new_axis(mask, shape):
    x = make_array(shape, "int64")
    np.testing.assert_array_equal(fnp.asarray(x)[mask], x[np.asarray(mask)])
    assert fnp.asarray(x)[mask].shape == x[np.asarray(mask)].shape


def test_squeezing_a_longer_axis_is_a_value_error_as_in_numpy():
    with pytest.raises(ValueError, match="squeeze: cannot squeeze axes \\(1,\\) of shape \\(1, 2\\)"):
        fnp.squeeze(fnp.ones((1, 2)), 1)


@pytest.mark.skipif(not any(dt.kind == "c" for dt in SUPPORTED), reason="fnx has no complex dtypes yet")
def test_vecdot_conjugates_complex_x1_as_numpy():
    a, b = np.array([1j, 2j, 3j]), np.array([1 + 0j, 2j, 3])
    np.testing.assert_allclose(fnp.vecdot(a, b), np.vecdot(a, b))


def test_python_ints_beyond_int64_keep_their_value_in_uint64():
    values = [2**63 + 1, 1]  # NumPy infers float64 for the list, which would round the first to 2**63
    np.testing.assert_array_equal(fnp.asarray(values, dtype=fnp.uint64), np.array(values, dtype=np.uint64))
    np.testing.assert_array_equal(fnp.asarray([1.7, -2.5], dtype=fnp.int32), np.array([1.7, -2.5]).astype(np.int32))


@pytest.mark.parametrize("f", [lambda x: fnp.expand_dims(x, axis=-4), lambda x: fnp.sum(x, axis=2),
                               lambda x: fnp.unstack(x, axis=-3)])
def test_an_axis_out_of_range_is_an_index_error_as_the_standard_asks(f):
    x = fnp.ones((2, 3))
    with pytest.raises(IndexError, match="out of bounds for an array of rank"):
        f(x)
    with pytest.raises(ValueError):  # NumPy's AxisError is both
        f(x)


def test_too_many_index_entries_are_an_index_error_as_in_numpy():
    for x, index in ((np.float64(1.0), np.zeros(0, bool)), (np.ones(2), (0, 0))):
        with pytest.raises(IndexError):
            np.asarray(x)[index]
        with pytest.raises(IndexError, match="getitem: index .* does not fit an array of shape"):
            fnp.asarray(x)[index]


@pytest.mark.parametrize("shape, mask_shape", [((2,), (0,)), ((1,), (0,)), ((2, 1), (2, 0)), ((1,), (3,))])
def test_boolean_masks_of_no_elements_fit_any_axes_as_in_numpy(shape, mask_shape):
    x, mask = make_array(shape, "float64"), np.zeros(mask_shape, bool)
    try:
        expected = x[mask]
    except IndexError:
        with pytest.raises(IndexError, match="boolean index of shape"):
            fnp.asarray(x)[mask]
        return
    assert fnp.asarray(x)[fnp.asarray(mask)].shape == expected.shape


def test_a_traced_value_cannot_be_exported_through_dlpack():
    with pytest.raises(fnx.core.errors.ConcretizationError, match="Exporting through DLPack of a traced value"):
        fnx.jit(lambda x: np.from_dlpack(x))(np.ones(2))


def test_the_suite_runner_summarizes_pytests_report():
    import importlib.util
    import pathlib
    path = pathlib.Path(__file__).resolve().parent.parent / "tools" / "run_array_api_tests.py"
    spec = importlib.util.spec_from_file_location("runner", path)
    runner = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(runner)
    output = ("FAILED array_api_tests/test_a.py::test_x - AssertionError: no\n"
              "FAILED array_api_tests/test_special_cases.py::test_unary[exp(x_i is +0) -> 1] - ValueError\n"
              "ERROR array_api_tests/test_a.py::test_y\n"
              "===== 2 failed, 7 passed, 3 skipped, 1 deselected, 1 error in 1.00s =====\n")
    lines = runner.summarize(output).splitlines()
    assert lines[:2] == ["2 failed, 7 passed, 3 skipped, 1 deselected, 1 error in 1.00s",
                         "passed 7 of 9 run (3 skipped, 1 deselected)"]
    assert lines[2:] == ["array_api_tests/test_a.py: 2 failed", "    test_x", "    test_y",
                         "array_api_tests/test_special_cases.py: 1 failed", "    test_unary[exp(x_i is +0) -> 1]"]
