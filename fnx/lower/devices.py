"""Which devices fnx can run on, and where a computation runs: the placement rules every backend shares.

The CPU is always there. GPUs come from the CUDA backend (``fnx.lower.cuda``) when the ``numba-cuda`` package
is installed and finds a GPU, or its simulator (``NUMBA_ENABLE_CUDASIM=1``). A computation runs where its
inputs live: fnx Arrays are committed to their device, and mixing devices is an error; NumPy arrays and Python
scalars are copied to the computation's device.
"""
from __future__ import annotations

import functools
import importlib.util
import os
import platform as host_platform
import re
import warnings

from ..core.array import CPU, Array, Device, DeviceArray
from ..core.errors import _with_location


class DeviceError(ValueError):
    """A device that is not there was asked for, or one computation was given arrays on several devices."""

    def __init__(self, message: str):
        super().__init__(_with_location(message))


@functools.lru_cache(maxsize=None)
def gpu_devices() -> tuple:
    """The GPUs (simulated ones included), or none when numba-cuda is missing or finds no GPU."""
    if importlib.util.find_spec("numba_cuda") is None:
        return ()
    from .cuda import runtime  # imports numba.cuda: only when GPUs are asked about
    return tuple(Device("gpu", i) for i in range(runtime.device_count()))


def all_devices(platform: str | None = None) -> list:
    """The devices of ``platform`` (``"cpu"``, ``"gpu"``/``"cuda"``; None: all), the CPU first."""
    platform = "gpu" if platform == "cuda" else platform
    return [d for d in (CPU, *gpu_devices()) if platform in (None, d.platform)]


def resolve(spec, soft: bool = False, what: str = "device_put") -> Device:
    """The Device that ``spec`` names: a Device, ``"cpu"``, ``"gpu"``/``"cuda"`` (the first GPU), ``"gpu:1"``,
    or Theano's and TensorFlow's spellings ``"cuda1"``, ``"/gpu:1"``.

    A GPU that is not there is a ``DeviceError``, or, with ``soft`` (TensorFlow's ``allow_soft_placement``),
    a warning and the CPU.
    """
    if spec is None:
        return CPU
    if isinstance(spec, Device):
        platform, index = spec.platform, str(spec.id)
    else:
        match = re.fullmatch(r"/?([a-z]+):?(\d*)", str(spec).lower())
        platform, index = match.groups() if match else (str(spec), "")
    platform = "gpu" if platform == "cuda" else platform
    if platform == "cpu" and index in ("", "0"):
        return CPU  # without asking numba.cuda about GPUs (its import costs ~1 s)
    found = [d for d in all_devices(platform) if d.id == int(index or 0)]
    if found:
        return found[0]
    if platform not in ("cpu", "gpu"):
        raise DeviceError(f"{what}: unknown device {spec!r}: use 'cpu', 'gpu', 'gpu:<n>' or one of fnx.devices()")
    message = (f"{what}: no device {spec!r} here (fnx.devices() lists {all_devices()}); "
               f"{'install the cuda extra (numba-cuda) or ' if not gpu_devices() else ''}place it on one of those")
    if not soft:
        raise DeviceError(message)
    warnings.warn(message + ": using the CPU (soft placement)", stacklevel=3)
    return CPU


def device_of(x) -> Device | None:
    """The device an input is committed to (an fnx Array's), or None for NumPy arrays and Python scalars."""
    if isinstance(x, DeviceArray):
        return x.device
    return CPU if isinstance(x, Array) else None


def placement(leaves: list, requested: Device | None, name: str) -> Device:
    """Where a computation on ``leaves`` runs: ``requested`` if given, else where its fnx Arrays live (the CPU if
    none is an fnx Array). Arrays on another device than the others (or than ``requested``, for device
    arrays) are a ``DeviceError`` naming the function."""
    found = {d for d in map(device_of, leaves) if d is not None}
    if requested is not None:
        found.discard(CPU)  # CPU Arrays are copied to the requested device
        found.add(requested)
    if len(found) > 1:
        shapes = ", ".join(f"{x.aval} on {device_of(x)}" for x in leaves if device_of(x) is not None)
        raise DeviceError(f"{name}: its arrays live on different devices ({shapes}); move them to one device "
                          "with fnx.device_put(x, device) first")
    return found.pop() if found else CPU


def run(closed, consts: list, leaves: list, device: Device) -> list:
    """A traced function (``closed``, its consts hoisted into leading inputs with values ``consts``) computed on
    the non-CPU ``device`` for the flat inputs ``leaves``, by that device's backend; outputs stay there."""
    from .cuda.compile import run as run_on_gpu
    return run_on_gpu(closed, consts, leaves, device)


def properties(device: Device) -> dict:
    """What is known of ``device`` (Ketkar's listing 10-1 queries OpenCL for the same): its platform and name,
    and for a GPU its compute capability, multiprocessors and memory (free, total) in bytes.

    >>> import fnx
    >>> properties(fnx.devices("cpu")[0])["platform"]
    'cpu'
    """
    if device.platform == "cpu":
        return {"platform": "cpu", "name": host_platform.processor() or host_platform.machine(),
                "cores": os.cpu_count()}
    from .cuda import runtime
    return {"platform": "gpu", **runtime.properties(device.id)}
