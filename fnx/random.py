"""fnx.random: splittable, counter-based pseudo-random numbers, eager or traced.

Randomness is explicit: every sampler takes a *key*, a uint32 array of shape (2,), and the same key always
gives the same numbers, on every platform. Use a key once; make new keys with ``split`` or ``fold_in``.

>>> import fnx.random as fr
>>> k = fr.key(0)
>>> k_init, k_drop = fr.split(k)
>>> fr.uniform(k_init, (2, 3)).shape
(2, 3)

How the numbers are made: as JAX makes them (its default "partitionable" threefry layout), so the same key and
shape give bit for bit the same bits, keys, uniforms in [0, 1), Bernoulli draws, integers, permutations,
choices and categorical draws as ``jax.random`` (float64 as JAX gives them with x64 enabled). A uniform
scaled to [minval, maxval) may differ in its last bit (XLA fuses the scaling into one multiply-add), and the
samplers built on it and on ``erf_inv`` (``normal``, ``truncated_normal``, ``gumbel``, ``exponential``,
``multivariate_normal``) agree to about 100 ulps of relative error (``tests/test_random_jax.py``).

Threefry-2x32 with 20 rounds (Salmon, Moraes, Dror and Shaw, "Parallel random numbers: as easy as 1, 2, 3",
SC 2011) is a keyed bijection of 64-bit counters (two uint32 words).
Element ``i`` of an array of random bits hashes the counter ``(i >> 32, i & 0xFFFFFFFF)``; its two output
words ``(y0, y1)`` give ``y0 ^ y1`` as 32 random bits or ``y0 << 32 | y1`` as 64. ``split(key, n)``'s key
``i`` is the pair ``(y0, y1)`` of counter ``(0, i)``, and ``fold_in(key, d)`` that of ``(0, d)``. Everything
is uint32 add, xor, shift and or (fnx.lax primitives), so it traces into a jaxpr and compiles like any other
code; no NumPy generator is ever used.

Samplers: floats in [0, 1) take the top mantissa bits of a word and set the exponent of 1.0 (giving [1, 2)),
then subtract 1. ``normal`` is ``sqrt(2) * erf_inv(u)`` with ``u`` uniform in [nextafter(-1, 0), 1);
``exponential`` and ``gumbel`` are inverse CDFs; ``randint`` reduces two words (from the two keys of
``split``) modulo the span; ``permutation`` sorts by random 32-bit words, in as many rounds as make ties
negligible.
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from . import lax
from . import numpy as fnp
from .core import dtypes
from .core.errors import FnxTypeError
from .numpy._util import as_array, broadcast_shapes

_U8, _U16, _U32, _U64 = (np.dtype(f"uint{n}") for n in (8, 16, 32, 64))
_ROTATIONS = (13, 15, 26, 6, 17, 29, 16, 24)  # Threefry-2x32 rotation constants, used in turn
_KEY_PARITY = 0x1BD11BDA  # the third key word is k0 ^ k1 ^ this constant
_ROUNDS = 20
_SQRT2 = math.sqrt(2.0)
_UINTS = {8: _U8, 16: _U16, 32: _U32, 64: _U64}

Shape = Sequence[int]


# -- threefry ---------------------------------------------------------------------------------------------

def _rotate_left(x, r: int):
    return lax.bitwise_or(lax.shift_left(x, np.uint32(r)), lax.shift_right_logical(x, np.uint32(32 - r)))


def _key_words(key) -> tuple:
    """The two words of a key as uint32 scalars."""
    return tuple(lax.reshape(lax.slice(key, (i,), (i + 1,)), ()) for i in (0, 1))


def _threefry(key, x0, x1) -> tuple:
    """Threefry-2x32 of the counters ``(x0, x1)``: uint32 operands of one shape, or rank 0."""
    k0, k1 = _key_words(key)
    schedule = (k0, k1, lax.bitwise_xor(lax.bitwise_xor(k0, k1), np.uint32(_KEY_PARITY)))
    x0, x1 = lax.add(x0, k0), lax.add(x1, k1)
    for r in range(_ROUNDS):
        x0 = lax.add(x0, x1)
        x1 = lax.bitwise_xor(_rotate_left(x1, _ROTATIONS[r % 8]), x0)
        if r % 4 == 3:  # inject the key after every four rounds
            s = r // 4 + 1
            x0 = lax.add(x0, schedule[s % 3])
            x1 = lax.add(lax.add(x1, schedule[(s + 1) % 3]), np.uint32(s))
    return x0, x1


def threefry_2x32(key, x0, x1) -> tuple:
    """Threefry-2x32 (20 rounds) of the counters ``(x0, x1)`` under ``key``.

    ``x0`` and ``x1`` are uint32 arrays (or Python ints, taken mod 2**32) that broadcast together; returns
    the two uint32 output words, each of the broadcast shape.

    >>> import numpy as np
    >>> [hex(int(w)) for w in threefry_2x32(np.zeros(2, np.uint32), 0, 0)]
    ['0x6b200159', '0x99ba4efe']
    """
    key = _check_key(key, "threefry_2x32")
    x0, x1 = (_as_uint32(x, "threefry_2x32") for x in (x0, x1))
    x0, x1 = fnp.broadcast_arrays(x0, x1)
    return _threefry(key, x0, x1)


def _as_uint32(x, op: str):
    """A Python int (mod 2**32) or an integer array as uint32 (wrapping)."""
    if _is_int(x):
        return fnp.asarray(np.uint32(int(x) % 2**32))
    x = as_array(x, op)
    if x.dtype.kind not in "iu":
        raise FnxTypeError(f"{op}: needs integer data, got {x.dtype}")
    return x if x.dtype == _U32 else lax.convert_element_type(x, _U32)


def _counter_words(key, n: int) -> tuple:
    """The threefry outputs ``(y0, y1)`` (uint32, shape (n,)) of the counters ``(i >> 32, i & 0xFFFFFFFF)``,
    ``i = 0 .. n-1``: the words behind element ``i`` of every random array and of every split key."""
    if n > 2**32:
        raise FnxTypeError(f"fnx.random: cannot draw {n} values from one key (at most 2**32); split the key")
    return _threefry(key, np.uint32(0), lax.iota(_U32, n))


# -- keys -------------------------------------------------------------------------------------------------

def _check_key(key, op: str):
    k = as_array(key, op)
    if k.shape != (2,) or k.dtype != _U32:
        raise FnxTypeError(f"{op}: a key is a uint32 array of shape (2,) (make one with fnx.random.key), "
                           f"got {k.dtype}{list(k.shape)}")
    return k


def key(seed) -> fnp.ndarray:
    """A key from an integer seed: a uint32 array of shape (2,) holding the high and low 32 bits of the seed.

    ``seed`` is a Python int in [-2**63, 2**64) (negative seeds are taken mod 2**64) or a scalar integer
    array, which may be traced.

    >>> key(0)
    Array([0, 0], dtype=uint32)
    >>> key(2**32 + 5)
    Array([1, 5], dtype=uint32)
    """
    if _is_int(seed):
        seed = int(seed)
        if not -2**63 <= seed < 2**64:
            raise FnxTypeError(f"key: seed {seed} does not fit in 64 bits")
        seed %= 2**64
        return fnp.asarray(np.array([seed >> 32, seed & 0xFFFFFFFF], dtype=_U32))
    s = as_array(seed, "key")
    if s.shape != () or s.dtype.kind not in "iu":
        raise FnxTypeError(f"key: the seed must be an integer scalar, got {s.dtype}{list(s.shape)}")
    s = lax.convert_element_type(s, _U64)  # two's complement: negative seeds wrap as for Python ints
    hi = lax.convert_element_type(lax.shift_right_logical(s, np.uint64(32)), _U32)
    lo = lax.convert_element_type(s, _U32)  # keeps the low 32 bits
    return lax.concatenate([lax.reshape(hi, (1,)), lax.reshape(lo, (1,))], 0)


PRNGKey = key


def key_data(keys):
    """The uint32 words of ``keys`` (shape ``(..., 2)``): fnx's keys are those words already, so this returns
    them unchanged, for code written for JAX's typed keys.

    >>> key_data(key(7))
    Array([0, 7], dtype=uint32)
    """
    k = as_array(keys, "key_data")
    if k.ndim < 1 or k.shape[-1] != 2 or k.dtype != _U32:
        raise FnxTypeError(f"key_data: keys are uint32 arrays of shape (..., 2), got {k.dtype}{list(k.shape)}")
    return k


def split(key, num: int | Shape = 2):
    """``num`` new keys made from ``key``: a uint32 array of shape (num, 2) (``num`` may be a shape).

    Key ``i`` is the threefry output of the counter ``(0, i)``, as in JAX.

    >>> split(key(0))
    Array([[1797259609, 2579123966],
           [ 928981903, 3453687069]], dtype=uint32)
    """
    key = _check_key(key, "split")
    shape = _shape(num, "split")
    y0, y1 = _counter_words(key, math.prod(shape))
    return lax.reshape(_stack_words(y0, y1), shape + (2,))


def _stack_words(y0, y1):
    """Two uint32 vectors of length n as the rows of an (n, 2) array: keys."""
    n = y0.shape[0]
    return lax.concatenate([lax.reshape(y0, (n, 1)), lax.reshape(y1, (n, 1))], 1)


def fold_in(key, data):
    """A new key made from ``key`` and the integer ``data`` (taken mod 2**32; may be traced).

    Different ``data`` give unrelated keys: ``fold_in(key, step)`` gives one key per training step.
    ``fold_in(key, i)`` equals ``split(key, n)[i]``, as in JAX.

    >>> fold_in(key(0), 1)
    Array([ 928981903, 3453687069], dtype=uint32)
    """
    key = _check_key(key, "fold_in")
    data = _as_uint32(data, "fold_in")
    if data.shape != ():
        raise FnxTypeError(f"fold_in: data must be a scalar, got shape {data.shape}")
    y0, y1 = _threefry(key, np.uint32(0), data)
    return lax.concatenate([lax.reshape(y0, (1,)), lax.reshape(y1, (1,))], 0)


# -- argument checks --------------------------------------------------------------------------------------

def _is_int(x) -> bool:
    """A Python or NumPy integer (not a bool): a static value, as opposed to an array."""
    return isinstance(x, (int, np.integer)) and not isinstance(x, bool)


def _static_count(n, op: str, what: str) -> int:
    if not isinstance(n, (int, np.integer)) or n < 0:
        raise FnxTypeError(f"{op}: {what} must be a non-negative Python int, got {n!r}")
    return int(n)


def _shape(shape, op: str) -> tuple:
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    return tuple(_static_count(n, op, "shape entries") for n in shape)


def _float_dtype(dtype, op: str) -> np.dtype:
    dt = dtypes.canonicalize(dtype, op)
    if dt.kind != "f":
        raise FnxTypeError(f"{op}: dtype must be a float dtype, got {dt}")
    return dt


def _float_operand(x, dtype: np.dtype, op: str):
    """A bound or probability as an array of ``dtype`` (Python scalars become constants of that dtype)."""
    if isinstance(x, (bool, int, float)):
        return fnp.asarray(x, dtype=dtype)
    x = as_array(x, op)
    if x.dtype.kind not in "biuf":
        raise FnxTypeError(f"{op}: needs real numbers, got {x.dtype}")
    return fnp.astype(x, dtype)


def _fits(shape: tuple, operand_shapes: Sequence[tuple], op: str) -> None:
    """Operands (bounds, probabilities) must broadcast to the requested sample shape."""
    for s in operand_shapes:
        try:
            ok = np.broadcast_shapes(s, shape) == shape
        except ValueError:
            ok = False
        if not ok:
            raise FnxTypeError(f"{op}: an operand of shape {s} does not broadcast to the sample shape {shape}")


# -- bits and uniform floats ------------------------------------------------------------------------------

def bits(key, shape: Shape = (), dtype=_U32):
    """Uniformly random unsigned integers of ``shape`` (dtype uint8, uint16, uint32 or uint64).

    >>> bits(key(0), (2,))
    Array([4070199207, 4202968722], dtype=uint32)
    """
    key = _check_key(key, "bits")
    shape = _shape(shape, "bits")
    dtype = dtypes.canonicalize(dtype, "bits")
    if dtype not in _UINTS.values():
        raise FnxTypeError(f"bits: dtype must be an unsigned integer dtype, got {dtype}")
    return _bits(key, shape, dtype)


def _bits(key, shape: tuple, dtype: np.dtype):
    y0, y1 = _counter_words(key, math.prod(shape))
    if dtype == _U64:
        out = lax.bitwise_or(lax.shift_left(lax.convert_element_type(y0, _U64), np.uint64(32)),
                             lax.convert_element_type(y1, _U64))
    else:
        out = lax.bitwise_xor(y0, y1)
        out = out if dtype == _U32 else lax.convert_element_type(out, dtype)  # keeps the low bits
    return lax.reshape(out, shape)


def _unit(key, shape: tuple, dtype: np.dtype):
    """Floats in [0, 1) on the grid of spacing 2**-nmant (2**-23 for float32, 2**-52 for float64)."""
    uint = _UINTS[8 * dtype.itemsize]
    nmant = np.finfo(dtype).nmant
    raw = _bits(key, shape, uint)
    mantissa = lax.shift_right_logical(raw, uint.type(8 * uint.itemsize - nmant))  # the top nmant bits
    one_to_two = lax.bitwise_or(mantissa, np.array(1.0, dtype).view(uint)[()])
    return lax.sub(lax.bitcast_convert_type(one_to_two, dtype), dtype.type(1.0))


def uniform(key, shape: Shape = (), dtype=float, minval=0.0, maxval=1.0):
    """Floats uniform in [minval, maxval) of ``shape``; ``dtype=float`` means the configured default float.

    ``minval`` and ``maxval`` may be arrays that broadcast to ``shape``. Computed as JAX does,
    ``max(minval, u * (maxval - minval) + minval)`` with ``u`` in [0, 1), and then kept below ``maxval``
    (which rounding can reach, where JAX would return it).

    >>> uniform(key(0), (3,), "float32")
    Array([0.947667  , 0.9785799 , 0.33229148], dtype=float32)
    """
    key = _check_key(key, "uniform")
    shape, dtype = _shape(shape, "uniform"), _float_dtype(dtype, "uniform")
    lo, hi = (_float_operand(v, dtype, "uniform") for v in (minval, maxval))
    _fits(shape, [lo.shape, hi.shape], "uniform")
    out = fnp.maximum(lo, fnp.add(fnp.multiply(_unit(key, shape, dtype), fnp.subtract(hi, lo)), lo))
    out = fnp.minimum(out, fnp.nextafter(hi, lo))
    return fnp.broadcast_to(out, shape)


# -- continuous distributions -----------------------------------------------------------------------------

def normal(key, shape: Shape = (), dtype=float):
    """Standard normal floats of ``shape``: ``sqrt(2) * erf_inv(u)``, ``u`` uniform in [nextafter(-1, 0), 1).

    >>> z = normal(key(0), (1000,))
    """
    key = _check_key(key, "normal")
    shape, dtype = _shape(shape, "normal"), _float_dtype(dtype, "normal")
    u = uniform(key, shape, dtype, np.nextafter(dtype.type(-1.0), dtype.type(0.0)), dtype.type(1.0))
    return lax.mul(dtype.type(_SQRT2), lax.erf_inv(u))


def truncated_normal(key, lower, upper, shape: Shape | None = None, dtype=float):
    """Standard normal floats conditioned on lying strictly between ``lower`` and ``upper``.

    ``lower`` and ``upper`` (may be -inf/inf or arrays) broadcast to ``shape``, which defaults to their
    broadcast shape. Inverse CDF: ``sqrt(2) * erf_inv(u)`` with ``u`` uniform between ``erf(lower/sqrt(2))``
    and ``erf(upper/sqrt(2))``; far in a tail (beyond about 5 in float32) the interval collapses and the
    samples pile up at the nearest bound.

    >>> z = truncated_normal(key(0), -2.0, 2.0, (100,))
    """
    key = _check_key(key, "truncated_normal")
    dtype = _float_dtype(dtype, "truncated_normal")
    lower, upper = (_float_operand(v, dtype, "truncated_normal") for v in (lower, upper))
    if shape is None:
        shape = broadcast_shapes("truncated_normal", lower.shape, upper.shape)
    shape = _shape(shape, "truncated_normal")
    _fits(shape, [lower.shape, upper.shape], "truncated_normal")
    a, b = (lax.erf(fnp.divide(v, _SQRT2)) for v in (lower, upper))
    z = fnp.multiply(lax.erf_inv(uniform(key, shape, dtype, a, b)), _SQRT2)
    return fnp.clip(z, fnp.nextafter(lower, np.inf), fnp.nextafter(upper, -np.inf))


def multivariate_normal(key, mean, cov, shape: Shape | None = None, dtype=float, method: str = "cholesky"):
    """Normal vectors with ``mean`` (shape ``(..., n)``) and covariance ``cov`` (shape ``(..., n, n)``), as JAX
    draws them: ``mean + cholesky(cov) @ z`` with ``z = normal(key, shape + (n,))``.

    ``shape`` (the batch shape of the result, default the broadcast of ``mean.shape[:-1]`` and
    ``cov.shape[:-2]``); the result has shape ``shape + (n,)``. ``method``: ``"cholesky"`` (JAX's default and
    numbers), or ``"eigh"`` / ``"svd"`` (the factor ``v * sqrt(w)``: also for a singular ``cov``; eigenvector
    signs may differ from JAX's, so the same distribution but not JAX's numbers).

    >>> multivariate_normal(key(0), fnp.zeros(2), fnp.eye(2), (5,)).shape
    (5, 2)
    """
    key = _check_key(key, "multivariate_normal")
    dtype = _float_dtype(dtype, "multivariate_normal")
    if method not in _COVARIANCE_FACTORS:
        raise FnxTypeError(f"multivariate_normal: method must be one of {sorted(_COVARIANCE_FACTORS)}, got {method!r}")
    mean, cov = (fnp.astype(as_array(v, "multivariate_normal"), dtype) for v in (mean, cov))
    if mean.ndim < 1 or cov.ndim < 2 or cov.shape[-2:] != (mean.shape[-1],) * 2:
        raise FnxTypeError(f"multivariate_normal: needs mean of shape (..., n) and cov of shape (..., n, n), "
                           f"got {mean.shape} and {cov.shape}")
    batch = broadcast_shapes("multivariate_normal", mean.shape[:-1], cov.shape[:-2])
    shape = batch if shape is None else _shape(shape, "multivariate_normal")
    _fits(shape, [batch], "multivariate_normal")
    z = normal(key, shape + mean.shape[-1:], dtype)
    return fnp.add(mean, fnp.squeeze(fnp.matmul(_COVARIANCE_FACTORS[method](cov), z[..., None]), -1))


def _eigh_factor(cov):
    w, v = fnp.linalg.eigh(cov)
    return v * fnp.sqrt(fnp.maximum(w, 0.0))[..., None, :]  # rounding can make a zero eigenvalue negative


def _svd_factor(cov):
    u, s, _ = fnp.linalg.svd(cov)
    return u * fnp.sqrt(s)[..., None, :]


_COVARIANCE_FACTORS = {"cholesky": lambda cov: fnp.linalg.cholesky(cov), "eigh": _eigh_factor, "svd": _svd_factor}


def exponential(key, shape: Shape = (), dtype=float):
    """Exponential floats with rate 1: ``-log1p(-u)``, ``u`` uniform in [0, 1).

    >>> from fnx.random import exponential, key
    >>> exponential(key(0), (3,))
    Array([0.54207056, 0.24372319, 3.36163426], dtype=float64)
    """
    key = _check_key(key, "exponential")
    shape, dtype = _shape(shape, "exponential"), _float_dtype(dtype, "exponential")
    return lax.neg(lax.log1p(lax.neg(uniform(key, shape, dtype))))


def gumbel(key, shape: Shape = (), dtype=float):
    """Standard Gumbel floats: ``-log(-log(u))``, ``u`` uniform in [tiny, 1); always finite.

    >>> from fnx.random import gumbel, key
    >>> gumbel(key(0), (3,))
    Array([ 0.13790566, -0.42599294,  3.34403911], dtype=float64)
    """
    key = _check_key(key, "gumbel")
    shape, dtype = _shape(shape, "gumbel"), _float_dtype(dtype, "gumbel")
    u = uniform(key, shape, dtype, np.finfo(dtype).tiny, dtype.type(1.0))
    return lax.neg(lax.log(lax.neg(lax.log(u))))


# -- discrete distributions -------------------------------------------------------------------------------

def bernoulli(key, p=np.float32(0.5), shape: Shape | None = None):
    """Booleans that are True with probability ``p`` (an array that broadcasts to ``shape``, default its shape):
    ``uniform(key, shape, p.dtype) < p``. As in JAX, the default ``p`` is a float32 0.5.

    >>> coin = bernoulli(key(0), 0.5, (10,))
    """
    key = _check_key(key, "bernoulli")
    p = as_array(p, "bernoulli")
    p = fnp.astype(p, dtypes.to_inexact(p.dtype))
    shape = p.shape if shape is None else _shape(shape, "bernoulli")
    _fits(shape, [p.shape], "bernoulli")
    return fnp.less(_unit(key, shape, p.dtype), p)


def categorical(key, logits, axis: int = -1, shape: Shape | None = None):
    """Category indices (int64) drawn with probabilities ``softmax(logits, axis)``.

    The result has ``shape``, by default the shape of ``logits`` without ``axis``; a given ``shape`` must end
    with (a shape that broadcasts to) that batch shape. Uses the Gumbel-max trick:
    ``argmax(logits + gumbel noise)``, the noise drawn in the layout of ``logits`` as JAX draws it. Logits of
    -inf are never drawn.

    >>> i = categorical(key(0), fnp.log(fnp.asarray([0.2, 0.8])), shape=(5,))
    """
    key = _check_key(key, "categorical")
    logits = as_array(logits, "categorical")
    if logits.ndim == 0:
        raise FnxTypeError("categorical: logits must have at least one axis")
    logits = fnp.astype(logits, dtypes.to_inexact(logits.dtype))
    axis = _normalize_axis(axis, logits.ndim, "categorical")
    batch = logits.shape[:axis] + logits.shape[axis + 1:]
    shape = batch if shape is None else _shape(shape, "categorical")
    _fits(shape, [batch], "categorical")
    prefix, rest = shape[:len(shape) - len(batch)], shape[len(shape) - len(batch):]
    noise = gumbel(key, prefix + rest[:axis] + (logits.shape[axis],) + rest[axis:], logits.dtype)
    return fnp.argmax(fnp.add(noise, logits), axis=len(prefix) + axis)


def randint(key, shape: Shape, minval, maxval, dtype=int):
    """Integers uniform in [minval, maxval) of ``shape`` and integer ``dtype`` (default int64), as JAX draws them.

    ``minval``/``maxval`` are ints or integer arrays broadcasting to ``shape``; they are clipped to the range
    of ``dtype``, where ``maxval`` may be one past the maximum. Where ``maxval <= minval`` the result is
    ``minval``. Each value is two words of the dtype's width (from the two keys of ``split(key)``) reduced
    modulo ``maxval - minval``: the bias is below ``(maxval - minval) / 2**(2 * bits)``.

    >>> randint(key(0), (4,), 0, 10)
    Array([5, 1, 5, 7], dtype=int64)
    """
    key = _check_key(key, "randint")
    shape = _shape(shape, "randint")
    dtype = dtypes.canonicalize(dtype, "randint")
    if dtype.kind not in "iu":
        raise FnxTypeError(f"randint: dtype must be an integer dtype, got {dtype}")
    lo, hi = (_integer_bound(v, dtype) for v in (minval, maxval))
    _fits(shape, [lo.shape, hi.shape], "randint")
    sample = dtype if dtype.itemsize >= 4 else np.dtype("int32")  # as JAX: at least 32 bits per word
    return fnp.astype(_randint(key, shape, lo, hi, sample), dtype)


def _randint(key, shape: tuple, lo, hi, dtype: np.dtype):
    """randint's values in ``dtype`` (32 or 64 bits) for bounds clipped to [min, max + 1] of ``dtype``."""
    top = np.iinfo(dtype).max
    past_max = fnp.greater(hi, top)  # maxval = max + 1: the span is one more than the dtype holds
    lo, hi = (fnp.astype(fnp.minimum(v, top), dtype) for v in (lo, hi))
    uint = _UINTS[8 * dtype.itemsize]
    k1, k2 = split(key)
    high_bits, low_bits = _bits(k1, shape, uint), _bits(k2, shape, uint)
    span = fnp.astype(fnp.subtract(hi, lo), uint)  # wraps mod 2**bits: exact for any bounds of dtype
    span = fnp.where(fnp.less_equal(hi, lo), uint.type(1), span)
    span = fnp.where(fnp.logical_and(past_max, fnp.greater(hi, lo)), fnp.add(span, uint.type(1)), span)
    # (high * 2**bits + low) mod span, without overflow: 2**bits mod span is (2**(bits/2) mod span)**2 mod span
    multiplier = _mod(uint.type(2 ** (4 * dtype.itemsize)), span)
    multiplier = _mod(fnp.multiply(multiplier, multiplier), span)
    offset = _mod(fnp.add(fnp.multiply(_mod(high_bits, span), multiplier), _mod(low_bits, span)), span)
    return fnp.broadcast_to(fnp.add(lo, fnp.astype(offset, dtype)), shape)  # wraps back into dtype


def _mod(x, span):
    """``x mod span`` for unsigned integers, where a span of 0 stands for 2**bits (the whole range): ``x``."""
    whole = fnp.equal(span, 0)
    return fnp.where(whole, x, fnp.remainder(x, fnp.where(whole, span.dtype.type(1), span)))


def _integer_bound(v, dtype: np.dtype):
    """A randint bound clipped to [min, max + 1] of ``dtype``, as int64 (signed dtype) or uint64 (unsigned)."""
    wide = np.dtype("int64") if dtype.kind == "i" else _U64
    info, wide_info = np.iinfo(dtype), np.iinfo(wide)
    low, high = info.min, min(info.max + 1, wide_info.max)
    if _is_int(v):
        return fnp.asarray(wide.type(min(max(int(v), low), high)))
    v = as_array(v, "randint")
    if v.dtype.kind not in "iu":
        raise FnxTypeError(f"randint: minval and maxval must be integers, got {v.dtype}")
    if v.dtype.kind != wide.kind or v.dtype.itemsize > dtype.itemsize:  # may hold values outside dtype's range
        v = _clip_integer(v, low, high)
    return fnp.astype(v, wide)


def _clip_integer(v, low: int, high: int):
    """Clip an integer array to [low, high] without overflow, comparing in a dtype that holds both."""
    common = np.dtype("int64") if v.dtype.kind == "i" or v.dtype.itemsize < 8 else _U64
    v = fnp.astype(v, common)
    info = np.iinfo(common)
    return fnp.clip(v, common.type(max(low, info.min)), common.type(min(high, info.max)))


# -- permutations and choice ------------------------------------------------------------------------------

def _shuffle(key, x, axis: int):
    """``x`` reordered along ``axis`` by sorting on random 32-bit words, in rounds (each with a fresh key)
    until ties are negligible: ``ceil(3 log(size) / log(2**32 - 1))`` rounds, as JAX does."""
    rounds = math.ceil(3 * math.log(max(1, math.prod(x.shape))) / math.log(2**32 - 1))
    for _ in range(rounds):
        key, subkey = split(key)
        x = lax.sort_key_val(_bits(subkey, x.shape, _U32), x, axis)[1]
    return x


def permutation(key, x, axis: int = 0, independent: bool = False):
    """A random permutation of ``range(x)`` for an int ``x``, or ``x`` shuffled along ``axis`` for an array
    (every slice along ``axis`` moved together, or each shuffled on its own with ``independent=True``).

    >>> permutation(key(0), 5).shape
    (5,)
    """
    key = _check_key(key, "permutation")
    if _is_int(x):
        return _shuffle(key, fnp.arange(_static_count(x, "permutation", "n")), 0)
    x = as_array(x, "permutation")
    if x.ndim == 0:
        raise FnxTypeError("permutation: x must be an int or an array with at least one axis")
    axis = _normalize_axis(axis, x.ndim, "permutation")
    if independent or x.ndim == 1:
        return _shuffle(key, x, axis)
    return fnp.take(x, _shuffle(key, fnp.arange(x.shape[axis]), 0), axis=axis)


def shuffle(key, x, axis: int = 0):
    """``x`` with its slices along ``axis`` put in a random order (``permutation`` of an array).

    >>> import fnx.numpy as fnp
    >>> from fnx.random import shuffle, key
    >>> shuffle(key(0), fnp.arange(5))
    Array([0, 1, 4, 3, 2], dtype=int64)
    """
    key = _check_key(key, "shuffle")
    x = as_array(x, "shuffle")
    if x.ndim == 0:
        raise FnxTypeError("shuffle: cannot shuffle a 0-d array")
    return permutation(key, x, axis)


def choice(key, a, shape: Shape = (), replace: bool = True, p=None, axis: int = 0):
    """Random samples from ``range(a)`` (an int ``a``) or from the slices of the array ``a`` along ``axis``.

    The result has ``shape`` in place of ``axis``. ``p`` (shape ``(n,)``) gives the probability of each
    entry; without it every entry is equally likely. ``replace=False`` draws distinct entries (sorting random
    keys; with ``p``, the Gumbel-top-k trick).

    >>> choice(key(0), 10, (3,), replace=False).shape
    (3,)
    """
    key = _check_key(key, "choice")
    shape = _shape(shape, "choice")
    if _is_int(a):
        pool, n = None, _static_count(a, "choice", "a")
    else:
        pool = as_array(a, "choice")
        if pool.ndim == 0:
            raise FnxTypeError("choice: a must be an int or an array with at least one axis")
        axis = _normalize_axis(axis, pool.ndim, "choice")
        n = pool.shape[axis]
    k = math.prod(shape)
    if k > 0 and n == 0:
        raise FnxTypeError("choice: cannot choose from an empty population")
    if not replace and k > n:
        raise FnxTypeError(f"choice: cannot take {k} distinct samples from a population of {n}")
    idx = _choice_indices(key, n, shape, replace, p)
    return idx if pool is None else fnp.take(pool, idx, axis=axis)


def _choice_indices(key, n: int, shape: tuple, replace: bool, p):
    k = math.prod(shape)
    if p is None:
        if replace:
            return randint(key, shape, 0, n)
        return lax.reshape(lax.slice(_shuffle(key, fnp.arange(n), 0), (0,), (k,)), shape)
    p = as_array(p, "choice")
    if p.shape != (n,):
        raise FnxTypeError(f"choice: p must have shape ({n},) to match the population, got {p.shape}")
    p = fnp.astype(p, dtypes.to_inexact(p.dtype))
    if replace:  # inverse CDF on the cumulative probabilities
        cumulative = fnp.cumsum(p)
        r = fnp.multiply(cumulative[-1], fnp.subtract(1, uniform(key, shape, p.dtype)))
        return fnp.astype(fnp.searchsorted(cumulative, r), np.dtype("int64"))
    positive = fnp.greater(p, 0)
    log_p = fnp.where(positive, fnp.log(fnp.where(positive, p, 1.0)), -np.inf)  # log 0 = -inf, without warnings
    perturbed = fnp.add(gumbel(key, (n,), p.dtype), log_p)  # its top k are a sample without replacement
    return lax.reshape(lax.slice(fnp.argsort(fnp.negative(perturbed), stable=True), (0,), (k,)), shape)


def _normalize_axis(axis: int, ndim: int, op: str) -> int:
    if not -ndim <= axis < ndim:
        raise FnxTypeError(f"{op}: axis {axis} is out of range for an array of rank {ndim}")
    return axis % ndim


__all__ = ["PRNGKey", "bernoulli", "bits", "categorical", "choice", "exponential", "fold_in", "gumbel", "key",
           "key_data", "multivariate_normal", "normal", "permutation", "randint", "shuffle", "split", "threefry_2x32",
           "truncated_normal", "uniform"]
