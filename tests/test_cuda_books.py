"""The books' GPU listings on the simulated GPU (/work/shared/books): Ketkar 10-1 (device query), 10-2 (a
float32 vector add, equal to the CPU's exactly) and 10-3 (a matmul written to the transposed layout); Buduma's
device placement with soft placement (001-E33) and two towers summed on the CPU (001-E34); Bourez's device and
floatX configuration. Sizes are scaled down from the books' (5 000 000 elements, 500x500): the simulator runs
every GPU thread in Python."""
import warnings

import numpy as np
import pytest

from cuda_setup import GPU

import fnx
import fnx.numpy as fnp
from fnx.lower.devices import properties, resolve


def test_ketkar_10_1_device_query():
    cpu, gpu = fnx.devices()
    assert properties(cpu)["platform"] == "cpu" and properties(cpu)["cores"] >= 1
    info = properties(gpu)
    assert info["platform"] == "gpu" and len(info["compute_capability"]) == 2 and len(info["memory"]) == 2


def test_ketkar_10_2_vector_add_equals_the_cpu_exactly():
    rng = np.random.default_rng(0)
    v1, v2 = rng.random(50_000).astype(np.float32), rng.random(50_000).astype(np.float32)
    add = fnx.jit(lambda a, b: a + b)
    gpu_result = add(fnx.device_put(v1, GPU), fnx.device_put(v2, GPU))  # host -> device, kernel, stays there
    cpu_result = v1 + v2
    assert gpu_result.device == GPU
    assert np.linalg.norm(np.asarray(gpu_result) - cpu_result) == 0.0  # the book's "Norm of Difference 0.0"


def test_ketkar_10_3_matmul_in_the_transposed_layout():
    rng = np.random.default_rng(1)
    m1, m2 = rng.random((16, 16)).astype(np.float32), rng.random((16, 16)).astype(np.float32)
    # the book's kernel stores (m1 @ m2)[i, j] at result[i + size * j]: the transposed layout
    result = fnx.jit(lambda a, b: (a @ b).T, device="gpu")(m1, m2)
    np.testing.assert_allclose(np.asarray(result), np.dot(m1, m2).T, rtol=1e-4)


A, B = np.array([[1.0, 2.0], [3.0, 4.0]], np.float32), np.array([[1.0], [2.0]], np.float32)


def test_buduma_device_placement_with_soft_placement():
    c = fnx.jit(lambda a, b: a @ b, device="gpu:0")(A, B)
    assert c.device == GPU and np.asarray(c).tolist() == [[5.0], [11.0]]
    with warnings.catch_warnings(record=True) as caught:  # '/gpu:2' is not there: the CPU, with a warning
        warnings.simplefilter("always")
        soft = fnx.jit(lambda a, b: a @ b, device="/gpu:2", soft_placement=True)(A, B)
    assert soft.device.platform == "cpu" and np.asarray(soft).tolist() == [[5.0], [11.0]]
    assert "soft placement" in str(caught[0].message)
    with pytest.raises(ValueError, match="no device '/gpu:2'"):
        fnx.jit(lambda a, b: a @ b, device="/gpu:2")


def test_buduma_two_towers_summed_on_the_cpu():
    towers = []
    for name in ("/gpu:0", "/gpu:1"):  # one simulated GPU: the second tower falls back to the CPU
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            device = resolve(name, soft=True)
        towers.append(fnx.jit(lambda a, b: a @ b, device=device)(A, B))
    assert [t.device.platform for t in towers] == ["gpu", "cpu"]
    total = fnx.jit(lambda cs: sum(cs), device="cpu")(fnx.device_put(towers, "cpu"))  # tf.add_n on /cpu:0
    assert np.asarray(total).tolist() == [[10.0], [22.0]]


def test_bourez_device_and_float32_configuration():
    previous = fnx.config.default_float
    fnx.config.update("default_float", "float32")  # THEANO_FLAGS="device=cuda0,floatX=float32"
    try:
        x = fnx.device_put(fnp.linspace(0.0, 1.0, 5), "cuda0")
        y = fnx.jit(lambda x: x * 2.0 + 1.0)(x)
        assert x.device == GPU and y.device == GPU and y.dtype == np.float32
        np.testing.assert_allclose(np.asarray(y), np.linspace(1.0, 3.0, 5, dtype=np.float32))
    finally:
        fnx.config.update("default_float", previous)
