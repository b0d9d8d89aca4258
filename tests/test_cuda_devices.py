"""Devices and placement with the CUDA backend (in Numba's simulator): device_put, Array.device, results that
stay on the device, clear errors for mixed or missing devices, the buffer pool."""
import gc
import warnings

import numpy as np
import pytest

from cuda_setup import GPU

import fnx
import fnx.numpy as fnp
from fnx.lower.devices import DeviceError


def test_devices_list_the_simulated_gpu_after_the_cpu():
    assert fnx.devices() == [fnx.devices("cpu")[0], GPU]
    assert fnx.devices("cuda") == [GPU] and repr(GPU) == "GPUDevice(id=0)"


def test_device_put_round_trip_and_printing():
    host = np.arange(6, dtype=np.float32).reshape(2, 3)
    x = fnx.device_put(host, "gpu")
    assert x.device == GPU and x.shape == (2, 3) and x.dtype == np.float32 and x.ndim == 2 and x.size == 6
    np.testing.assert_array_equal(np.asarray(x), host)
    assert repr(x) == repr(fnp.asarray(host)) and str(x) == str(host)
    back = fnx.device_put(x, "cpu")
    assert back.device.platform == "cpu" and type(back) is fnx.Array
    np.testing.assert_array_equal(np.asarray(back), host)
    tree = fnx.device_put({"w": host, "b": [1.0]}, GPU)
    assert tree["w"].device == GPU and tree["b"][0].device == GPU


def test_jit_runs_where_its_inputs_live_and_results_stay_there():
    f = fnx.jit(lambda x, y: fnp.tanh(x) * y + 1.0)
    x, y = np.linspace(-1, 1, 12).reshape(3, 4), np.full((3, 4), 2.0)
    on_gpu = f(fnx.device_put(x, GPU), fnx.device_put(y, GPU))
    assert on_gpu.device == GPU
    again = f(on_gpu, on_gpu)  # a device result fed back: no transfer
    assert again.device == GPU
    np.testing.assert_allclose(np.asarray(on_gpu), np.tanh(x) * y + 1.0, rtol=1e-12)
    np.testing.assert_allclose(np.asarray(again), np.tanh(np.tanh(x) * y + 1) * (np.tanh(x) * y + 1) + 1, rtol=1e-12)
    assert f(x, y).device.platform == "cpu"  # NumPy inputs: the CPU


def test_jit_device_argument_moves_host_inputs():
    f = fnx.jit(lambda x: x * 3, device="gpu")
    out = f(fnp.arange(4.0))
    assert out.device == GPU
    np.testing.assert_array_equal(np.asarray(out), [0.0, 3.0, 6.0, 9.0])


def test_mixing_devices_is_a_clear_error():
    f = fnx.jit(lambda x, y: x + y)
    with pytest.raises(DeviceError, match=r"jit\(<lambda>\): its arrays live on different devices \(f64\[3\] on "
                                          r"GPUDevice\(id=0\), f64\[3\] on CPUDevice\(id=0\)\)"):
        f(fnx.device_put(np.ones(3), GPU), fnp.ones(3))


def test_a_missing_gpu_is_an_error_or_with_soft_placement_the_cpu():
    with pytest.raises(DeviceError, match="device_put: no device 'gpu:3' here"):
        fnx.device_put(np.ones(2), "gpu:3")
    with pytest.raises(DeviceError, match="unknown device 'tpu'"):
        fnx.jit(lambda x: x, device="tpu")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        x = fnx.device_put(np.ones(2), "gpu:3", soft_placement=True)
    assert x.device.platform == "cpu" and "soft placement" in str(caught[0].message)


def test_device_buffers_are_pooled_and_reused():
    from fnx.lower.cuda import runtime
    with runtime.on(GPU):
        runtime.pool().clear()
    f = fnx.jit(lambda x: x * 2.0 + 1.0)
    x = fnx.device_put(np.ones((4, 5)), GPU)
    y = f(x)
    buffer = y._buffer
    del y
    gc.collect()
    assert f(x)._buffer is buffer  # the dead result's buffer holds the next one


def test_outputs_that_are_inputs_own_their_memory():
    f = fnx.jit(lambda x: (x, x.reshape(-1)))
    x = fnx.device_put(np.arange(4.0).reshape(2, 2), GPU)
    same, flat = f(x)
    assert same._buffer is not x._buffer
    del x
    gc.collect()
    fnx.device_put(np.zeros((2, 2)), GPU)  # would take x's buffer from the pool
    np.testing.assert_array_equal(np.asarray(same), [[0, 1], [2, 3]])
    np.testing.assert_array_equal(np.asarray(flat), [0, 1, 2, 3])


def test_the_array_apis_device_arguments_place_on_the_gpu():
    for x in (fnp.zeros(3, device=GPU), fnp.arange(3.0, device=GPU), fnp.ones(3).to_device(GPU)):
        assert x.device == GPU
    assert GPU in fnp.__array_namespace_info__().devices()
    x = fnp.arange(3.0, device=GPU)
    np.testing.assert_array_equal(np.from_dlpack(x), [0.0, 1.0, 2.0])  # the host copy, on the CPU
    assert x.__dlpack_device__() == (1, 0)
