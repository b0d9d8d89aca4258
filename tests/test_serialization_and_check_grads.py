"""fnx.serialization round trips on nested dicts/lists/tuples/namedtuples without pickle; fnx.test_util.check_grads
passes correct derivatives and catches wrong ones, as JAX's check_grads."""
import collections
import json
import zipfile

import numpy as np
import pytest

import fnx
import fnx.numpy as fnp
import fnx.optimizers as optim
from fnx.serialization import restore, save
from fnx.test_util import check_grads

Point = collections.namedtuple("Point", "x y")
TREE = {"layers": [{"w": np.arange(6.0).reshape(2, 3), "b": np.zeros(3, np.float32)}, (np.int32(4), None)],
        3: Point(np.ones(2), [True, 2.5]), "count": 7}


def same(a, b):
    la, ta = fnx.tree_flatten(a)
    lb, tb = fnx.tree_flatten(b)
    assert ta == tb
    for x, y in zip(la, lb):
        assert type(x) is type(y) or isinstance(x, np.ndarray), (x, y)
        np.testing.assert_array_equal(x, y)
        assert np.asarray(x).dtype == np.asarray(y).dtype


@pytest.mark.parametrize("compress", [False, True])
def test_round_trip_keeps_structure_dtypes_and_python_scalars(tmp_path, compress):
    path = tmp_path / "ckpt.npz"
    save(path, TREE, compress=compress)
    same(restore(path, like=TREE), TREE)
    plain = restore(path)
    assert plain[3] == {"x": plain[3]["x"], "y": [True, 2.5]} and plain["count"] == 7
    assert isinstance(plain["layers"][1], tuple) and plain["layers"][1][1] is None
    with np.load(path, allow_pickle=False) as archive:  # the layout: leaves and JSON, nothing pickled
        assert sorted(archive.files) == sorted(["__tree__"] + [f"leaf_{i}" for i in range(7)])
        assert json.loads(str(archive["__tree__"]))["format"] == "fnx-pytree-1"


def test_optimizer_state_restores_as_its_namedtuples(tmp_path):
    params = {"w": fnp.ones((2, 2))}
    opt = optim.adam(0.1)
    state = opt.update({"w": fnp.ones((2, 2))}, opt.init(params), params)[1]
    save(tmp_path / "opt.npz", (params, state))
    restored = restore(tmp_path / "opt.npz", like=(params, opt.init(params)))
    same(restored, (params, state))
    assert type(restored[1][0]).__name__ == "ScaleByAdamState"


def test_mismatches_and_bad_files_are_named(tmp_path):
    path = tmp_path / "p.npz"
    save(path, {"w": np.zeros((2, 3))})
    with pytest.raises(ValueError, match=r"leaf 0 .* is float64\[2, 3\], but `like` has float64\[3, 2\]"):
        restore(path, like={"w": np.zeros((3, 2))})
    with pytest.raises(ValueError, match="does not have the structure of `like`"):
        restore(path, like={"v": np.zeros((2, 3))})
    with pytest.raises(FileNotFoundError, match="no checkpoint at .*missing.npz"):
        restore(tmp_path / "missing.npz")
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="junk.npz is not a checkpoint"):
        restore(tmp_path / "junk.npz")
    with zipfile.ZipFile(tmp_path / "pickled.npz", "w") as z:  # an object array needs pickle: refused
        z.writestr("__tree__.npy", b"\x93NUMPY\x01\x00v\x00{'descr': '|O', 'fortran_order': False, 'shape': (), }"
                   + b" " * 50 + b"\n")
    with pytest.raises(ValueError, match="pickled.npz is not a checkpoint"):
        restore(tmp_path / "pickled.npz")
    with pytest.raises(TypeError, match="pickle is not used"):
        save(path, {"w": object()})
    with pytest.raises(TypeError, match="dict keys must be str or int"):
        save(path, {(1, 2): np.zeros(1)})


def test_check_grads_passes_correct_rules_to_third_order():
    check_grads(lambda x, y: fnp.sqrt(x * x + y * y), (1.0, 2.0), order=3)  # Ketkar 2017, listing 9-2
    rng = np.random.default_rng(0)
    check_grads(lambda p, x: fnp.tanh(x @ p["w"] + p["b"]),
                ({"w": rng.normal(size=(3, 2)), "b": rng.normal(size=2)}, rng.normal(size=(4, 3))), order=2)
    check_grads(lambda x: fnp.sin(x), (np.linspace(0, 1, 3).astype(np.float32),), order=1, modes=("rev",))


def test_check_grads_catches_a_wrong_derivative_in_each_mode():
    @fnx.custom_jvp
    def bad_square(x):
        return x * x

    @bad_square.defjvp
    def _(primals, tangents):
        (x,), (t,) = primals, tangents
        return x * x, 3.0 * x * t  # should be 2 x t

    for mode in ("fwd", "rev"):
        with pytest.raises(AssertionError, match=("jvp" if mode == "fwd" else "vjp") + r" \(order 1\)"):
            check_grads(bad_square, (np.array([1.0, 2.0]),), order=1, modes=(mode,))
    with pytest.raises(TypeError, match="must be floats"):
        check_grads(lambda i: i, (np.arange(3),), order=1)
    with pytest.raises(ValueError, match="modes"):
        check_grads(bad_square, (1.0,), order=1, modes=("sideways",))
