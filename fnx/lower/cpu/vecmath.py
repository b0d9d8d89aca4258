"""Elementary functions that LLVM can vectorize: exp, expm1, log, log1p, tanh, logistic, sin, cos, erf, pow.

Inside Numba, ``np.exp(x[i])`` and friends call libm once per element, which stops LLVM's loop vectorizer
(the pip llvmlite has no vector math library). The functions here are straight-line arithmetic instead:
range reduction, a polynomial, and a rescaling by ``2**n`` done on the float's bits, with every special case
(nan, +-inf, +-0, overflow, underflow) handled by selects rather than branches or calls. Inlined into a
loop over an array, LLVM turns them into SIMD code (8 float32 or 4 float64 lanes with AVX2).

Each is one name, ``vm.tanh`` say (``import fnx.lower.cpu.vecmath as vm``), for float32 and float64:

* in Numba code on a scalar, the scalar code ends up inlined where it is called, so an explicit loop
  vectorizes::

      @numba.njit
      def f(x, out):
          for i in range(x.size):
              out[i] = vm.tanh(x[i])

* in Numba code on an array, ``vm.tanh(x)`` returns a new array (same shape and dtype) computed by such a loop;
* from Python, ``vm.tanh(x)`` takes NumPy scalars or arrays (float32 or float64) and runs the array form.

Accuracy, measured over tens of millions of arguments spread over the whole range (all float32 arguments for
tanh and logistic; docs/vecmath.md): at most 3.1 ulp from the exact result (float32 tanh, which trades
accuracy for speed; 2.5 ulp for the others), subnormal results included (they are produced, not flushed);
special values as NumPy. The polynomial coefficients are minimax fits made for this module (weighted Remez
exchange, or tools/vecmath/fit_float32.py; see docs/vecmath.md); every other constant is computed below.
"""
from __future__ import annotations

import decimal
from typing import NamedTuple

import numba
import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic, overload

from . import disk_cache  # noqa: F401  (first: it keeps this module's Numba caches in fnx's cache folder)

# ---------------------------------------------------------------------------------------------------------
# Access to the bits of a float, as LLVM instructions (a bitcast or a conversion each).


@intrinsic
def _to_bits(typingctx, x):
    """The IEEE bits of a float32 / float64 as an int32 / int64."""
    int_type = {types.float32: types.int32, types.float64: types.int64}.get(x)
    if int_type is None:
        return None

    def codegen(context, builder, sig, args):
        return builder.bitcast(args[0], context.get_value_type(sig.return_type))
    return int_type(x), codegen


def _int_of_float_width(context, builder, value, float_type):
    """Truncate or sign-extend an integer LLVM value to the width of `float_type`."""
    width = 32 if float_type == types.float32 else 64
    target = ir.IntType(width)
    if value.type.width > width:
        return builder.trunc(value, target)
    if value.type.width < width:
        return builder.sext(value, target)
    return value


@intrinsic
def _from_bits(typingctx, i, like):
    """The float, of the type of `like`, whose IEEE bits are the low bits of the integer `i`."""
    if not isinstance(i, types.Integer) or like not in (types.float32, types.float64):
        return None

    def codegen(context, builder, sig, args):
        bits = _int_of_float_width(context, builder, args[0], sig.return_type)
        return builder.bitcast(bits, context.get_value_type(sig.return_type))
    return like(i, like), codegen


@intrinsic
def _to_i32(typingctx, x):
    """A float holding an integer of magnitude below 2**31, converted to int32 (truncates)."""
    if x not in (types.float32, types.float64):
        return None

    def codegen(context, builder, sig, args):
        return builder.fptosi(args[0], ir.IntType(32))
    return types.int32(x), codegen


@intrinsic
def _to_float(typingctx, i, like):
    """A small integer (below 2**31 in magnitude) converted to the float type of `like`."""
    if not isinstance(i, types.Integer) or like not in (types.float32, types.float64):
        return None

    def codegen(context, builder, sig, args):
        value = args[0]
        if value.type.width > 32:  # 32-bit conversions vectorize on every x86 SIMD level
            value = builder.trunc(value, ir.IntType(32))
        elif value.type.width < 32:
            value = builder.sext(value, ir.IntType(32))
        return builder.sitofp(value, context.get_value_type(sig.return_type))
    return like(i, like), codegen


@intrinsic
def _muladd(typingctx, a, b, c):
    """a * b + c, fused into one FMA instruction where the CPU has one (LLVM's fmuladd), else two roundings."""
    if not (a == b == c and a in (types.float32, types.float64)):
        return None

    def codegen(context, builder, sig, args):
        ty = args[0].type
        fn = builder.module.declare_intrinsic("llvm.fmuladd", [ty], ir.FunctionType(ty, [ty, ty, ty]))
        return builder.call(fn, args)
    return a(a, b, c), codegen


# ---------------------------------------------------------------------------------------------------------
# Constants of each precision. Everything but the polynomial coefficients is derived from exact values.

decimal.getcontext().prec = 60
_LN2 = decimal.Decimal(2).ln()


def _round_to_bits(value: decimal.Decimal, bits: int) -> float:
    """`value` rounded to `bits` significant bits (so that products with short integers are exact)."""
    exponent = int(value.copy_abs().ln() / _LN2)
    scale = decimal.Decimal(2) ** (bits - 1 - exponent)
    return float((value * scale).to_integral_value() / scale)


def _pi_times(nbits: int) -> int:
    """floor(pi * 2**nbits), from Machin's formula pi = 16 atan(1/5) - 4 atan(1/239) in integers."""
    guard = 64
    one = 1 << (nbits + guard)

    def atan_inv(m: int) -> int:  # atan(1/m) * one
        total, power, k, sign = 0, one // m, 1, 1
        while power:
            total += sign * (power // k)
            power //= m * m
            k += 2
            sign = -sign
        return total
    return (16 * atan_inv(5) - 4 * atan_inv(239)) >> guard


_PI_BITS = 1400
_TWO_OVER_PI = (1 << (2 * _PI_BITS + 1)) // _pi_times(_PI_BITS)  # floor(2/pi * 2**_PI_BITS)


def _poly(*coefficients, dtype):
    """Coefficients c0, c1, ... of c0 + c1 t + c2 t**2 + ..., stored highest first for `_horner`."""
    return tuple(dtype(c) for c in reversed(coefficients))


class _Consts(NamedTuple):
    """The constants of one float type; the generic algorithms below take one of these as `k`."""
    zero: object
    half: object
    one: object
    two: object
    inf: object
    nan: object
    rint_magic: object        # 1.5 * 2**mantissa_bits: (x + m) - m rounds x to an integer
    mant_bits: object         # explicit mantissa bits (23 / 52), as an integer
    bias: object              # exponent bias (127 / 1023)
    mant_bits_f: object       # mantissa bits as a float
    smallest_normal: object
    subnormal_scale: object   # 2**mant_bits, lifts subnormals into the normal range
    sqrt_half_bits: object    # bits of sqrt(1/2)
    int_limit: object         # 2**mant_bits: every float at least this large is an integer
    log2e: object
    ln2_hi: object            # ln 2 with trailing zero bits: n * ln2_hi is exact for any exponent n
    ln2_lo: object            # ln 2 - ln2_hi
    exp_lo: object            # exp(exp_lo) rounds to 0 and exp(exp_hi) to inf
    exp_hi: object
    expm1_lo: object          # expm1(x) rounds to -1 below this
    expm1_nmax: object        # 1 - 2**-n rounds to 1 above this n
    tanh_clamp: object        # tanh(x) rounds to 1 above this
    logistic_hi: object       # logistic(x) rounds to 1 above this
    two_64: object            # 2**64, the scale of logistic's terms
    erf_split: object         # erf switches from its odd polynomial to 1 - exp(-x^2) R(x) here
    erf_center: object
    erf_one: object           # erf(x) rounds to 1 above this
    expm1_poly: tuple         # expm1(r) = r + r^2 (1/2 + r Q(r)), |r| <= ln2/2: Q
    log_poly: tuple           # log1p(f) = 2s + s R(s^2), s = f / (2 + f): R(z) / z
    erf_small: tuple          # erf(x) = x + x (P(x^2) - 1) on [0, erf_split]: P - 1
    erf_large: tuple          # erfc(x) = exp(-x^2) R(x - erf_center) on [erf_split, erf_one]: R


def _consts(ftype, itype, mant_bits, bias, ln2_hi_bits, exp_range, expm1_lo, tanh_clamp, logistic_hi, erf_range,
            expm1_poly, log_poly, erf_small, erf_large) -> _Consts:
    f = ftype
    ln2_hi = _round_to_bits(_LN2, ln2_hi_bits)
    return _Consts(
        zero=f(0), half=f(0.5), one=f(1), two=f(2), inf=f(np.inf), nan=f(np.nan),
        rint_magic=f(1.5 * 2.0 ** mant_bits), mant_bits=itype(mant_bits), bias=itype(bias),
        mant_bits_f=f(mant_bits), smallest_normal=f(2.0 ** (1 - bias)), subnormal_scale=f(2.0 ** mant_bits),
        sqrt_half_bits=itype(f(np.sqrt(0.5)).view(itype)), int_limit=f(2.0 ** mant_bits),
        log2e=f(1 / _LN2), ln2_hi=f(ln2_hi), ln2_lo=f(_LN2 - decimal.Decimal(ln2_hi)),
        exp_lo=f(exp_range[0]), exp_hi=f(exp_range[1]), expm1_lo=f(expm1_lo), expm1_nmax=itype(mant_bits + 3),
        tanh_clamp=f(tanh_clamp), logistic_hi=f(logistic_hi), two_64=f(2.0 ** 64),
        erf_split=f(erf_range[0]), erf_center=f(erf_range[1]), erf_one=f(erf_range[2]),
        expm1_poly=_poly(*expm1_poly, dtype=f), log_poly=_poly(*log_poly, dtype=f),
        erf_small=_poly(erf_small[0] - 1, *erf_small[1:], dtype=f), erf_large=_poly(*erf_large, dtype=f))


# Minimax fits (relative error, except R of log: absolute); their own error is in units of 2**-24 / 2**-53.
_F32 = _consts(
    np.float32, np.int32, 23, 127, ln2_hi_bits=16, exp_range=(-104.0, 89.0), expm1_lo=-30.0, tanh_clamp=10.0,
    logistic_hi=30.0, erf_range=(0.9, 2.425, 3.95),
    expm1_poly=(0.16666635757463147, 0.041666512359671164, 0.0083416433943053, 0.0013930418731330813,
                0.00014905458972189924),  # 0.055
    log_poly=(0.6666666575428968, 0.40000339827748593, 0.2853598836101703, 0.23618691141693174),  # 0.0003
    erf_small=(1.1283791667643686, -0.37612634979886206, 0.11283715033325689, -0.026860508486847012,
               0.005203859213327552, -0.0008175639849220933, 8.51310625087575e-05),  # 0.005
    erf_large=(0.21652614679840568, -0.07822723536839422, 0.02682486561025046, -0.008785999673393129,
               0.002760302452887056, -0.0008325283827638152, 0.0002460371215614603, -7.321355540618031e-05,
               1.7597749476616735e-05, -3.1225656472342097e-06, 1.9865637177809946e-06,
               -7.709523039515952e-07),  # 0.03 (weighted by exp(-x^2))
)
_F64 = _consts(
    np.float64, np.int64, 52, 1023, ln2_hi_bits=42, exp_range=(-746.0, 710.0), expm1_lo=-40.0, tanh_clamp=20.0,
    logistic_hi=40.0, erf_range=(0.9, 3.45, 6.0),
    expm1_poly=(0.16666666666666674, 0.04166666666666667, 0.008333333333322195, 0.0013888888888880934,
                0.00019841269886630226, 2.4801587333981097e-05, 2.755724229231303e-06, 2.7557264282654e-07,
                2.5110066616968968e-08, 2.0918150109870442e-09),  # 0.005
    log_poly=(0.666666666666671, 0.3999999999951725, 0.2857142872999238, 0.22222199007622698,
              0.18183576303435853, 0.15313033674988763, 0.14811899357533054),  # 0.04
    erf_small=(1.1283791670955126, -0.37612638903183754, 0.11283791670955126, -0.026866170645131186,
               0.005223977625439533, -0.0008548327022948609, 0.00012055332930352758, -1.4925647236476368e-05,
               1.6461995905659779e-06, -1.6362960257951715e-07, 1.4762065291111651e-08,
               -1.1849615098577978e-09, 6.931977211847403e-11),  # 0.002
    erf_large=(0.15738682559628858, -0.04241007048112036, 0.01107208243642012, -0.002807590717001864,
               0.0006929472314115485, -0.00016676910731960347, 3.919793694576924e-05, -9.010350347463163e-06,
               2.0280572615603826e-06, -4.474555383503185e-07, 9.68669105272262e-08, -2.0594237437133923e-08,
               4.302953576383673e-09, -8.840201170728311e-10, 1.7893941015100098e-10, -3.576915464895478e-11,
               6.96508667494726e-12, -1.3105751200389375e-12, 2.6651146188302265e-13, -5.784100881584725e-14,
               7.415780603292525e-15, -2.946264662449748e-16, 5.167056822316821e-16, -1.8921893935858429e-16,
               -8.151846002221476e-18, 6.5376281196077006e-18, 1.06106906149282e-18,
               -3.01971133092042e-19),  # 0.08 (weighted by exp(-x^2))
)

# sin and cos polynomials on |r| <= pi/4, in float64 for both precisions (float32 reduces in float64):
# sin(r) = r + r^3 S(r^2), cos(r) = 1 - r^2/2 + r^4 C(r^2).
_SIN_FOR_F32 = _poly(-0.1666666666524998, 0.008333332118393613, -0.00019840126789058885, 2.7249356894597493e-06,
                     dtype=np.float64)  # 0.0004 (units of 2**-24)
_COS_FOR_F32 = _poly(0.041666666665484756, -0.001388888787530311, 2.480063377228468e-05, -2.730048096900405e-07,
                     dtype=np.float64)  # 0.00002
_SIN_F64 = _poly(-0.16666666666666666, 0.008333333333333333, -0.00019841269841268575, 2.755731922192357e-06,
                 -2.505210705994996e-08, 1.6058650909019172e-10, -7.593053368418714e-13,
                 dtype=np.float64)  # 0.0002 (units of 2**-53)
_COS_F64 = _poly(0.041666666666666664, -0.0013888888888888525, 2.4801587300282434e-05, -2.7557317943606073e-07,
                 2.0876264367396552e-09, -1.138979985024503e-11, dtype=np.float64)  # 0.01
# log1p(u) = u - u^2/2 + u^3 W(u) for |u| <= 1/256 (pow's double-double logarithm): W, absolute error 2**-81.
_LOG1P_W = _poly(0.3333333333333334, -0.25000000000000006, 0.1999999999691584, -0.16666666663890922,
                 0.1428605403848932, -0.1250030577759714, dtype=np.float64)

# float32 tanh and logistic have shorter algorithms of their own (fits: tools/vecmath/fit_float32.py).
# tanh(x/2) = x P(x^2) / (2 Q(x^2)) for |x| <= 9.02, relative error times sech(x) (see _tanh_f32): 2**-27.
# Both polynomials are scaled by 1.82: q and the final denominator then sit near the top of their binades,
# where their rounding is smaller relative to their value (tanh's error: 3.1 ulp at most, 4.8 unscaled).
_TANH32_SCALE = 1.82
_TANH32_M = _poly(*(_TANH32_SCALE * c for c in (1.0, 0.029777425541747105, 0.00011433269833178811)),
                  dtype=np.float32)
_TANH32_Q = _poly(*(2 * _TANH32_SCALE * c for c in (1.0, 0.11311072456257323, 0.0012069291423381777,
                                                    1.2306759364372165e-06)), dtype=np.float32)
_TANH32_SATURATED = np.float32(9.02 ** 2)  # tanh(x) rounds to +-1 for |x| >= 9.0109
# exp(-r) for |r| <= ln2/2, times 2**64 (exact scaling), relative error 2**-28.9.
_EXP_NEG32 = _poly(*(2.0 ** 64 * c for c in (1.0, -1.0000000321839995, 0.49999994205530324, -0.1666643116916037,
                                             0.04166800257808956, -0.008374163456886496, 0.0013843644155855021)),
                   dtype=np.float32)


def _pi_over_2_tables(mant_bits: int, bias: int, chunk_bits: int, chunks: int) -> np.ndarray:
    """Row E: 2**(E - bias - mant_bits) * 2/pi modulo 4, cut into `chunks` float64s of `chunk_bits` bits.

    A float with biased exponent E is M * 2**(E - bias - mant_bits) with an integer M, so M times row E is
    x * 2/pi modulo 4: the products are exact, and the row keeps the bits from 2**1 down to
    2**-(chunks * chunk_bits - 2), which is what the reduction of any float of that precision needs.
    """
    fraction_bits = chunks * chunk_bits - 2
    mask = (1 << chunk_bits) - 1
    table = np.zeros((2 * bias + 2, chunks))
    for e in range(2 * bias + 2):
        shift = _PI_BITS - (e - bias - mant_bits + fraction_bits)
        fixed = (_TWO_OVER_PI >> shift) & ((1 << (fraction_bits + 2)) - 1)  # the row, as a fixed-point integer
        for j in range(chunks):
            low = chunk_bits * (chunks - 1 - j)
            table[e, j] = float((fixed >> low) & mask) * 2.0 ** (low - fraction_bits)
    return table


_REDUCE_F32 = _pi_over_2_tables(23, 127, chunk_bits=29, chunks=3)   # 256 x 3
_REDUCE_F64 = _pi_over_2_tables(52, 1023, chunk_bits=26, chunks=7)  # 2048 x 7
_PIO2 = decimal.Decimal(_pi_times(200)) / (decimal.Decimal(2) ** 201)
_PIO2_HI = float(_PIO2)
_PIO2_LO = float(_PIO2 - decimal.Decimal(_PIO2_HI))


def _log_table() -> np.ndarray:
    """Rows i = 0..128: log(1 + i/128) as a double-double; the last row reuses ln2_hi/ln2_lo so it cancels."""
    table = np.zeros((129, 2))
    for i in range(128):
        value = (1 + decimal.Decimal(i) / 128).ln()
        table[i, 0] = float(value)
        table[i, 1] = float(value - decimal.Decimal(table[i, 0]))
    table[128] = _F64.ln2_hi, _F64.ln2_lo
    return table


_LOG_TABLE = _log_table()

# ---------------------------------------------------------------------------------------------------------
# Building blocks; `k` is _F32 or _F64.

# The functions behind the public ones, and their helpers, are inlined (in Numba IR) into one cached function
# per public function and dtype (see _define), compiled once per install: ~0.2 s each in a cold process, where
# the helpers as functions of their own took ~1.1 s for exp (Numba compiles and caches each apart). Callers'
# loops call that function, and LLVM inlines it there (it is marked alwaysinline), where it vectorizes.
_inline = dict(inline="always", cache=True)


def _horner(t, coefficients):
    """The polynomial with `coefficients` (a tuple, highest degree first) at t, in Numba code."""
    raise TypeError("for Numba code only")


@overload(_horner)
def _horner_straight_line(t, coefficients):
    # Written out as straight-line code: a loop over the tuple might stay a loop, which blocks vectorization.
    steps = "".join(f"    p = _muladd(p, t, coefficients[{i}])\n" for i in range(1, len(coefficients)))
    namespace = {"_muladd": _muladd}
    exec(f"def horner(t, coefficients):\n    p = coefficients[0]\n{steps}    return p\n", namespace)
    return namespace["horner"]


@numba.njit(cache=True, error_model="numpy")
def _div(a, b):
    """a / b without Python's zero check, also inside callers compiled with error_model="python"."""
    return a / b


@numba.njit(**_inline)
def _rint(x, k):
    """x rounded to the nearest integer (ties to even), for |x| < 2**(mant_bits - 1)."""
    return (x + k.rint_magic) - k.rint_magic


@numba.njit(**_inline)
def _two_sum(a, b):
    """(s, e) with s = fl(a + b) and a + b = s + e exactly."""
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


@numba.njit(**_inline)
def _split(a):
    """Dekker's split of a float64 into two halves of at most 26 bits whose sum is a (|a| < 2**995)."""
    c = 134217729.0 * a
    high = c - (c - a)
    return high, a - high


@numba.njit(**_inline)
def _two_prod(a, b):
    """(p, e) with p = fl(a * b) and a * b = p + e exactly (float64, no FMA needed)."""
    p = a * b
    a1, a2 = _split(a)
    b1, b2 = _split(b)
    return p, ((a1 * b1 - p) + a1 * b2 + a2 * b1) + a2 * b2


@numba.njit(**_inline)
def _copysign(magnitude, sign):
    """`magnitude` (>= 0) with the sign bit of `sign`."""
    return -magnitude if _to_bits(sign) < 0 else magnitude


@numba.njit(**_inline)
def _pow2(n, k):
    """2.0**n for an integer n in the normal exponent range."""
    return _from_bits((n + k.bias) << k.mant_bits, k.one)


@numba.njit(**_inline)
def _scale(p, n, k):
    """p * 2**n for 0.7 < p < 1.5 and n from (min subnormal exponent - 1) to (max exponent + 1), rounded once.

    The two halves of n keep both factors normal, so subnormal and overflowing results round correctly.
    """
    half = n >> 1
    return p * _pow2(half, k) * _pow2(n - half, k)


@numba.njit(**_inline)
def _exp_reduce(x, k):
    """(n, expm1(r)) with x = n ln2 + r, |r| <= ln2/2, for finite x between exp_lo and exp_hi."""
    n = _rint(x * k.log2e, k)
    r_hi = x - n * k.ln2_hi  # exact
    r = r_hi - n * k.ln2_lo
    c = (r_hi - r) - n * k.ln2_lo  # the rounding error of r; expm1(r + c) = expm1(r) + c (1 + ...)
    return n, r + (r * r * (k.half + r * _horner(r, k.expm1_poly)) + c)


@numba.njit(**_inline)
def _log_split(u, k):
    """(f, e) with u = 2**e (1 + f), sqrt(1/2) <= 1 + f < sqrt(2), for a positive normal u."""
    bits = _to_bits(u)
    e = (bits - k.sqrt_half_bits) >> k.mant_bits
    return _from_bits(bits - (e << k.mant_bits), u) - k.one, _to_float(e, u)


@numba.njit(**_inline)
def _log_kernel(f, c, e, k):
    """log(2**e (1 + f)) + c for f from _log_split and a small correction c."""
    s = f / (k.two + f)
    z = s * s
    hfsq = k.half * f * f
    r = z * _horner(z, k.log_poly)
    return e * k.ln2_hi + (f - (hfsq - (s * (hfsq + r) + (e * k.ln2_lo + c))))


# ---------------------------------------------------------------------------------------------------------
# The functions, generic over the precision.


@numba.njit(**_inline)
def _exp(x, k):
    xc = x if x > k.exp_lo else k.exp_lo  # also maps nan to a harmless value; it is restored at the end
    xc = xc if xc < k.exp_hi else k.exp_hi
    n, em = _exp_reduce(xc, k)
    y = _scale(k.one + em, _to_i32(n), k)
    return y if x == x else x


@numba.njit(**_inline)
def _expm1(x, k):
    xc = x if x > k.expm1_lo else k.expm1_lo
    xc = xc if xc < k.exp_hi else k.exp_hi
    n, em = _exp_reduce(xc, k)
    ni = _to_i32(n)
    # expm1(x) = 2**n (expm1(r) + 1 - 2**-n), and 1 - 2**-n is exact whenever it is not 1 to rounding.
    tail = k.one - _pow2(-(ni if ni < k.expm1_nmax else k.expm1_nmax), k)
    y = _scale(em + tail, ni, k)
    return y if (x == x and x != k.zero) else x  # nan; keeps the sign of zero


@numba.njit(**_inline)
def _log(x, k):
    subnormal = x < k.smallest_normal
    f, e = _log_split(x * k.subnormal_scale if subnormal else x, k)
    y = _log_kernel(f, k.zero, e - k.mant_bits_f if subnormal else e, k)
    y = y if x < k.inf else x  # inf, nan
    y = k.nan if x < k.zero else y
    return -k.inf if x == k.zero else y


@numba.njit(**_inline)
def _log1p(x, k):
    u = k.one + x
    ub = u - k.one
    err = (k.one - (u - ub)) + (x - ub)  # 1 + x = u + err exactly
    f, e = _log_split(u, k)
    y = _log_kernel(f, _div(err, u), e, k)  # log(u + err) = log(u) + err/u to well below an ulp
    y = y if x < k.inf else x
    y = k.nan if x < -k.one else y
    y = -k.inf if x == -k.one else y
    return y if x != k.zero else x


@numba.njit(**_inline)
def _tanh(x, k):
    ax = abs(x)
    a2 = ax + ax if ax < k.tanh_clamp else k.tanh_clamp + k.tanh_clamp  # nan -> clamp, restored below
    n, em = _exp_reduce(a2, k)
    ni = _to_i32(n)
    t = (em + (k.one - _pow2(-ni, k))) * _pow2(ni, k)  # expm1(2|x|); n is small here
    y = _copysign(_div(t, t + k.two), x)
    return y if x == x else x


@numba.njit(**_inline)
def _logistic(x, k):
    """1 / (1 + e**-x) = s / (s + 2**64 (1 + em)), with e**-x = 2**n (1 + em) and s = 2**(64 - n).

    For exp_lo <= x <= logistic_hi every term is a normal float and the one division rounds the result once,
    subnormal or not; there is no cancellation for either sign of x. min / max keep nan.
    """
    xc = min(max(x, k.exp_lo), k.logistic_hi)
    n, em = _exp_reduce(-xc, k)
    s = _pow2(np.int32(64) - _to_i32(n), k)
    return _div(s, _muladd(em, k.two_64, s + k.two_64))


# float32 tanh and logistic: fewer operations than the generic versions above (the vector loops that use them
# are bound by the number of arithmetic instructions), and every special case still as NumPy.


@numba.njit(**_inline)
def _tanh_f32(x):
    """tanh(x) = 2t / (1 + t^2) with t = tanh(x/2) = m/q, a rational in x: one division, no exp.

    Where tanh saturates, the doubling formula is flat in t, so the rounding errors of m and q fade out
    (x m/q alone would be 5 ulp off near 1). |x| < 2**-12 gives x (its exact rounding, -0 and subnormals
    included), |x| > 9.02 gives +-1, nan stays nan (both comparisons are false).
    """
    z = x * x
    m = x * _horner(z, _TANH32_M)
    q = _horner(z, _TANH32_Q)
    mq = m * q
    y = _div(mq + mq, _muladd(q, q, m * m))
    y = x if z < np.float32(2.0 ** -24) else y
    one = _from_bits((_to_bits(x) & np.int32(-0x80000000)) | np.int32(0x3F800000), x)  # +-1, the sign of x
    return one if z > _TANH32_SATURATED else y


@numba.njit(**_inline)
def _logistic_f32(x):
    """1 / (1 + e**-x) = s / (s + 2**64 e**-r), with e**-x = 2**n e**-r and s = 2**(64 - n).

    Scaling by 2**(64 - n) keeps every term a normal float for -104 <= x <= 30, so one division gives the
    result, rounded once even when it is subnormal; no select on the sign of x and no cancellation.
    """
    xc = min(x, _F32.logistic_hi)  # logistic(x) rounds to 1 from x = 17.3 on; min keeps nan
    kf = _muladd(xc, -_F32.log2e, _F32.rint_magic)  # the integer n = rint(-x log2(e)) in its low bits
    n = kf - _F32.rint_magic
    r = _muladd(n, _F32.ln2_lo, _muladd(n, _F32.ln2_hi, xc))  # -x = n ln2 - r, |r| <= ln2/2
    s = _from_bits(np.int32((127 + 64) << 23) - (_to_bits(kf) << 23), x)  # 2**(64 - n), from n's bits
    y = _div(s, _horner(r, _EXP_NEG32) + s)
    return np.float32(0.0) if x < _F32.exp_lo else y


@numba.njit(**_inline)
def _erf(x, k):
    ax = abs(x)
    small = ax + ax * _horner(ax * ax, k.erf_small)
    a = ax if ax < k.erf_one else k.erf_one
    n, em = _exp_reduce(-(a * a), k)
    e = (k.one + em) * _pow2(_to_i32(n), k)  # exp(-a^2), normal
    large = k.one - e * _horner(a - k.erf_center, k.erf_large)
    y = small if ax < k.erf_split else large
    y = _copysign(y if ax < k.erf_one else k.one, x)
    return y if x == x else x


@numba.njit(**_inline)
def _pow_specials(x, y, r, k):
    """Signs and special cases of x**y given r = exp(y log|x|) (C99 / NumPy semantics)."""
    ay = abs(y)
    y_int = ay >= k.int_limit or _rint(y, k) == y
    hy = k.half * (y if ay < k.two * k.int_limit else k.zero)
    y_odd = y_int and _rint(hy, k) != hy
    r = -r if (_to_bits(x) < 0 and y_odd) else r
    r = k.nan if (x < k.zero and x > -k.inf and ay < k.inf and not y_int) else r
    return k.one if (y == k.zero or x == k.one or (x == -k.one and ay == k.inf)) else r


# ---------------------------------------------------------------------------------------------------------
# sin and cos: exact reduction modulo pi/2 with a table indexed by the exponent, then polynomials in float64.


@numba.njit(**_inline)
def _sin_cos_poly(r):
    z = r * r
    return r + r * z * _horner(z, _SIN_FOR_F32), 1.0 - 0.5 * z + z * z * _horner(z, _COS_FOR_F32)


@numba.njit(**_inline)
def _quadrant(s, c, q):
    """sin(r + q pi/2) from s = sin(r), c = cos(r) and an integer q."""
    v = c if q & 1 else s
    return -v if q & 2 else v


@numba.njit(**_inline)
def _reduce_f32(ax):
    """(q, r) with |x| = (q + 4j) pi/2 + r, |r| <= pi/4 (+ an ulp), r in float64, for finite float32 ax."""
    bits = _to_bits(ax)
    e = bits >> 23
    m = _to_float((bits & 0x7FFFFF) | 0x800000, 0.0)  # the integer mantissa
    p0 = m * _REDUCE_F32[e, 0]  # x * 2/pi = p0 + p1 + p2 (mod 4), each product exact
    p1 = m * _REDUCE_F32[e, 1]
    p2 = m * _REDUCE_F32[e, 2]
    n0 = _rint(p0, _F64)
    hi, lo = _two_sum(p0 - n0, p1)
    n1 = _rint(hi, _F64)
    rho = (hi - n1) + (lo + p2)
    return _to_i32(n0 + n1) & 3, rho * _PIO2_HI


@numba.njit(**_inline)
def _sin_f32(x):
    ax = abs(x)
    q, r = _reduce_f32(ax)
    s, c = _sin_cos_poly(r)
    y = np.float32(_quadrant(s, c, q))
    y = -y if x < 0 else y
    y = y if ax < np.float32(np.inf) else np.float32(np.nan)
    return x if ax < np.float32(2.0 ** -12) else y


@numba.njit(**_inline)
def _cos_f32(x):
    ax = abs(x)
    q, r = _reduce_f32(ax)
    s, c = _sin_cos_poly(r)
    y = np.float32(_quadrant(s, c, q + 1))
    y = y if ax < np.float32(np.inf) else np.float32(np.nan)
    return np.float32(1.0) if ax < np.float32(2.0 ** -12) else y


@numba.njit(**_inline)
def _split_at(v, magic):
    """(high, low) with v = high + low exactly, high a multiple of the quantum of `magic` (1.5 * 2**(52 - q)
    rounds to multiples of 2**-q), for |v| far below 2**-q * 2**51."""
    high = (v + magic) - magic
    return high, v - high


@numba.njit(**_inline)
def _reduce_f64(ax):
    """(q, r_hi, r_lo) with |x| = (q + 4j) pi/2 + r_hi + r_lo, |r| <= pi/4 (+ an ulp), for finite ax >= 2**-27.

    The mantissa M (53 bits) is split into a high part (27 bits, a multiple of 2**26) and a low part, so
    that its products with the 26-bit table chunks are exact. Chunk j is a multiple of 2**-(24 + 26 j), so
    the products come in levels of known granularity; each level is cut at the granularity of the level
    above and the pieces are added where their sums are exact. Only the last, tiny level rounds, which
    keeps r accurate even for the arguments closest to a multiple of pi/2 (|r| near 2**-61).
    """
    bits = _to_bits(ax)
    e = bits >> 52
    mant = (bits & 0xFFFFFFFFFFFFF) | 0x3FF0000000000000  # 1.f in [1, 2)
    scale = 4503599627370496.0  # 2**52
    mh = _from_bits(mant & ~0x3FFFFFF, ax) * scale
    ml = _from_bits(mant, ax) * scale - mh
    t = _REDUCE_F64
    # Levels A (multiples of 2**-24, below 2**29) and B (2**-50, below 2**3): reduce each modulo 1.
    a1, a2, b1, b2 = ml * t[e, 0], mh * t[e, 1], ml * t[e, 1], mh * t[e, 2]
    na1, na2, nb1, nb2 = _rint(a1, _F64), _rint(a2, _F64), _rint(b1, _F64), _rint(b2, _F64)
    # Level C (2**-76, below 2**-22): the parts above 2**-50 join A and B exactly.
    c1h, c1l = _split_at(ml * t[e, 2], 6.0)
    c2h, c2l = _split_at(mh * t[e, 3], 6.0)
    s = (((a1 - na1) + (a2 - na2)) + ((b1 - nb1) + (b2 - nb2))) + (c1h + c2h)  # exact, |s| < 3
    ns = _rint(s, _F64)
    q = _to_i32(((na1 + na2) + (nb1 + nb2)) + ns) & 3
    # Levels D (2**-102, below 2**-48) and E (2**-128, below 2**-74), cut the same way; F just rounds.
    d1h, d1l = _split_at(ml * t[e, 3], 8.940696716308594e-08)   # 1.5 * 2**-24
    d2h, d2l = _split_at(mh * t[e, 4], 8.940696716308594e-08)
    e1h, e1l = _split_at(ml * t[e, 4], 1.3322676295501878e-15)  # 1.5 * 2**-50
    e2h, e2l = _split_at(mh * t[e, 5], 1.3322676295501878e-15)
    l1 = (c1l + c2l) + (d1h + d2h)  # exact
    l2 = (d1l + d2l) + (e1h + e2h)  # exact
    l3 = (e1l + e2l) + (ml * t[e, 5] + mh * t[e, 6])
    hi, err = _two_sum(s - ns, l1)
    lo = err + (l2 + l3)
    # r = (hi + lo) * pi/2 as a double-double.
    p, perr = _two_prod(hi, _PIO2_HI)
    rest = perr + (hi * _PIO2_LO + lo * _PIO2_HI)
    r_hi = p + rest
    return q, r_hi, rest - (r_hi - p)


@numba.njit(**_inline)
def _sin_cos_f64(r_hi, r_lo):
    z = r_hi * r_hi
    s = r_hi + (r_hi * z * _horner(z, _SIN_F64) + r_lo * (1.0 - 0.5 * z))
    hz = 0.5 * z
    w = 1.0 - hz
    c = w + (((1.0 - w) - hz) + (z * z * _horner(z, _COS_F64) - r_hi * r_lo))
    return s, c


@numba.njit(**_inline)
def _sin_f64(x):
    ax = abs(x)
    q, r_hi, r_lo = _reduce_f64(ax)
    s, c = _sin_cos_f64(r_hi, r_lo)
    y = _quadrant(s, c, q)
    y = -y if x < 0 else y
    y = y if ax < np.inf else np.nan
    return x if ax < 2.0 ** -27 else y


@numba.njit(**_inline)
def _cos_f64(x):
    ax = abs(x)
    q, r_hi, r_lo = _reduce_f64(ax)
    s, c = _sin_cos_f64(r_hi, r_lo)
    y = _quadrant(s, c, q + 1)
    y = y if ax < np.inf else np.nan
    return 1.0 if ax < 2.0 ** -27 else y


# ---------------------------------------------------------------------------------------------------------
# pow: float32 in float64 arithmetic; float64 with a double-double logarithm.


@numba.njit(**_inline)
def _pow_f32(x, y):
    xd = np.float64(x)
    yd = np.float64(y)
    r = _exp(yd * _log(abs(xd), _F64), _F64)
    return np.float32(_pow_specials(xd, yd, r, _F64))


@numba.njit(**_inline)
def _log_dd(ax):
    """log(ax) as a double-double (hi, lo), relative error about 2**-64, for positive finite ax."""
    subnormal = ax < 2.0 ** -1022
    bits = _to_bits(ax * 4503599627370496.0 if subnormal else ax)
    e = _to_float((bits >> 52) - (1075 if subnormal else 1023), ax)
    m = _from_bits((bits & 0xFFFFFFFFFFFFF) | 0x3FF0000000000000, ax)  # [1, 2)
    i = _rint((m - 1.0) * 128.0, _F64)
    z = 1.0 + i * 0.0078125  # the nearest of 1, 1 + 1/128, ..., 2; exact
    th = _LOG_TABLE[_to_i32(i), 0]
    tl = _LOG_TABLE[_to_i32(i), 1]
    d = m - z
    u = d / z  # log(m) = log(z) + log1p(u), |u| <= 1/256; u + ul = d / z to 2**-106
    u1, u2 = _split(u)
    ul = ((d - u1 * z) - u2 * z) / z
    s1, t1 = _two_sum(e * _F64.ln2_hi, th)
    s2, t2 = _two_sum(s1, u)
    lo = (t1 + t2) + (e * _F64.ln2_lo + tl) + (ul - u * ul) + u * u * (-0.5 + u * _horner(u, _LOG1P_W))
    hi = s2 + lo
    return hi, lo - (hi - s2)


@numba.njit(**_inline)
def _pow_f64(x, y):
    ax = abs(x)
    hi, lo = _log_dd(ax)
    hi = -np.inf if ax == 0.0 else hi
    hi = hi if ax < np.inf else ax  # inf, nan
    # p + p_lo = y * (hi + lo); the error term only matters (and is only finite) when |p| is moderate.
    moderate = abs(hi) < 1e299 and abs(y) < 1e299
    p, perr = _two_prod(y if moderate else 0.0, hi if moderate else 0.0)
    p = p if moderate else y * hi
    p_lo = perr + y * lo if moderate and abs(p) < 1e4 else 0.0
    pc = p if p > _F64.exp_lo else _F64.exp_lo
    pc = pc if pc < _F64.exp_hi else _F64.exp_hi
    n = _rint(pc * _F64.log2e, _F64)
    r = ((pc - n * _F64.ln2_hi) - n * _F64.ln2_lo) + p_lo
    em = r + r * r * (0.5 + r * _horner(r, _F64.expm1_poly))
    result = _scale(1.0 + em, _to_i32(n), _F64)
    result = result if p == p else p
    return _pow_specials(x, y, result, _F64)


# ---------------------------------------------------------------------------------------------------------
# Public API. Each function, e.g. `tanh`, is called as `vm.tanh(x)`:
# - in Numba code on a float32/float64 scalar: a call of the cached scalar function, which LLVM inlines;
# - in Numba code on an array: a new array from an explicit loop over the scalar function;
# - from Python: the array form, through a cached Numba function on the flattened arguments.
# (Numba ufuncs would be simpler, but LLVM does not inline the larger kernels into a ufunc's loop.)


# Loops in the one form found to vectorize whatever the function: `.flat` over a contiguous array (indexing
# a reshaped view instead keeps LLVM from vectorizing the functions that read tables, sin/cos/pow).
def _unary_array_loop(scalar):
    def loop(x):
        out = np.empty(x.size, x.dtype)
        i = 0
        for v in np.ascontiguousarray(x).flat:
            out[i] = scalar(v)
            i += 1
        return out.reshape(x.shape)
    return loop


def _binary_array_loop(scalar, x_is_array, y_is_array):
    def both(x, y):
        if x.shape != y.shape:
            raise ValueError("vecmath.pow: the two arrays must have the same shape")
        out = np.empty(x.size, x.dtype)
        i = 0
        for a, b in zip(np.ascontiguousarray(x).flat, np.ascontiguousarray(y).flat):
            out[i] = scalar(a, b)
            i += 1
        return out.reshape(x.shape)

    def x_only(x, y):
        out = np.empty(x.size, x.dtype)
        i = 0
        for a in np.ascontiguousarray(x).flat:
            out[i] = scalar(a, y)
            i += 1
        return out.reshape(x.shape)

    def y_only(x, y):
        out = np.empty(y.size, y.dtype)
        i = 0
        for b in np.ascontiguousarray(y).flat:
            out[i] = scalar(x, b)
            i += 1
        return out.reshape(y.shape)
    return both if x_is_array and y_is_array else (x_only if x_is_array else y_only)


def _float_kind(t):
    """np.float32 / np.float64 for a Numba float scalar or array type, else None."""
    dtype = t.dtype if isinstance(t, types.Array) else t
    return {types.float32: np.float32, types.float64: np.float64}.get(dtype)


# The compiled scalar function of each public function and dtype, by name ("exp_float32"): every caller of
# vm.exp on a float32 calls this one dispatcher.
SCALAR_FUNCTIONS: dict[str, numba.core.registry.CPUDispatcher] = {}


def _scalar_call(stub, impl, dtype):
    """An implementation that calls ``impl`` compiled as a jitted function of its own (once per dtype, cached
    on disk), marked for LLVM to inline into the caller (``forceinline``), so that a caller's loop vectorizes.
    Inlining into Numba's IR at every call site (``inline="always"``) instead cost ~1.3 s of compile time per
    site and function (sin, cos, erf, pow) in every program.
    """
    impl.__name__ = impl.__qualname__ = f"{stub.__name__}_{np.dtype(dtype).name}"  # its own disk-cache entry
    compiled = SCALAR_FUNCTIONS[impl.__name__] = numba.njit(cache=True, error_model="numpy", forceinline=True)(impl)
    return (lambda x: compiled(x)) if impl.__code__.co_argcount == 1 else (lambda x, y: compiled(x, y))


def _define(stub, impl_f32, impl_f64):
    """Register the Numba implementations of ``stub``: on scalars, a call of a cached function; on arrays, a
    loop."""
    unary = impl_f32.__code__.co_argcount == 1
    impls = {dtype: _scalar_call(stub, impl, dtype) for dtype, impl in ((np.float32, impl_f32),
                                                                          (np.float64, impl_f64))}

    def scalar_typer(*argtypes):
        kinds = {_float_kind(t) for t in argtypes}
        if len(kinds) == 1 and None not in kinds and all(isinstance(t, types.Float) for t in argtypes):
            return impls[kinds.pop()]
        return None

    def array_typer(*argtypes):
        kinds = {_float_kind(t) for t in argtypes}
        arrays = [isinstance(t, types.Array) for t in argtypes]
        if len(kinds) != 1 or None in kinds or not any(arrays):
            return None
        if len(argtypes) == 1:
            return _unary_array_loop(stub)
        return _binary_array_loop(stub, *arrays)

    overload(stub, inline="never")((lambda x: scalar_typer(x)) if unary else (lambda x, y: scalar_typer(x, y)))
    overload(stub)((lambda x: array_typer(x)) if unary else (lambda x, y: array_typer(x, y)))


def _call_from_python(name: str, *args):
    """Apply function `name` to NumPy arguments of one float dtype (broadcast together); scalars give scalars."""
    arrays = [np.asarray(a) for a in args]
    dtypes = {a.dtype for a in arrays}
    if len(dtypes) != 1 or not dtypes <= {np.dtype(np.float32), np.dtype(np.float64)}:
        raise TypeError(f"vecmath.{name}: expects float32 or float64 arguments of one dtype, "
                        f"got {', '.join(str(a.dtype) for a in arrays)}")
    shape = np.broadcast_shapes(*(a.shape for a in arrays))
    flat = [np.ascontiguousarray(np.broadcast_to(a, shape)).reshape(-1) for a in arrays]
    out = _PYTHON_ENTRIES[name](*flat).reshape(shape)
    return out if shape else out[()]


def exp(x):
    """e**x; overflows to inf and underflows gradually (subnormals) to 0.

    >>> float(exp(np.float32(1.0)))
    2.7182817459106445
    """
    return _call_from_python("exp", x)


def expm1(x):
    """e**x - 1, accurate for small x."""
    return _call_from_python("expm1", x)


def log(x):
    """Natural logarithm: -inf at +-0, nan below 0."""
    return _call_from_python("log", x)


def log1p(x):
    """log(1 + x), accurate for small x: -inf at -1, nan below -1."""
    return _call_from_python("log1p", x)


def tanh(x):
    """Hyperbolic tangent."""
    return _call_from_python("tanh", x)


def logistic(x):
    """The logistic sigmoid 1 / (1 + e**-x), accurate for either sign of x (no overflow)."""
    return _call_from_python("logistic", x)


def sin(x):
    """Sine, with exact argument reduction for every finite x."""
    return _call_from_python("sin", x)


def cos(x):
    """Cosine, with exact argument reduction for every finite x."""
    return _call_from_python("cos", x)


def erf(x):
    """The error function."""
    return _call_from_python("erf", x)


def pow(x, y):  # noqa: A001 - the operation's name
    """x**y for x, y of one float type, with the C99 / NumPy special cases (x**0 = 1, 1**y = 1, nan for
    negative x and non-integer y, signed zeros and infinities for odd integer y)."""
    return _call_from_python("pow", x, y)


_define(exp, lambda x: _exp(x, _F32), lambda x: _exp(x, _F64))
_define(expm1, lambda x: _expm1(x, _F32), lambda x: _expm1(x, _F64))
_define(log, lambda x: _log(x, _F32), lambda x: _log(x, _F64))
_define(log1p, lambda x: _log1p(x, _F32), lambda x: _log1p(x, _F64))
_define(tanh, lambda x: _tanh_f32(x), lambda x: _tanh(x, _F64))
_define(logistic, lambda x: _logistic_f32(x), lambda x: _logistic(x, _F64))
_define(sin, lambda x: _sin_f32(x), lambda x: _sin_f64(x))
_define(cos, lambda x: _cos_f32(x), lambda x: _cos_f64(x))
_define(erf, lambda x: _erf(x, _F32), lambda x: _erf(x, _F64))
_define(pow, lambda x, y: _pow_f32(x, y), lambda x, y: _pow_f64(x, y))

# The Python entry points: module-level functions, so that Numba caches them (one compilation per dtype).
_entry = dict(cache=True, error_model="numpy", nogil=True)


@numba.njit(**_entry)
def _exp_entry(x):
    return exp(x)


@numba.njit(**_entry)
def _expm1_entry(x):
    return expm1(x)


@numba.njit(**_entry)
def _log_entry(x):
    return log(x)


@numba.njit(**_entry)
def _log1p_entry(x):
    return log1p(x)


@numba.njit(**_entry)
def _tanh_entry(x):
    return tanh(x)


@numba.njit(**_entry)
def _logistic_entry(x):
    return logistic(x)


@numba.njit(**_entry)
def _sin_entry(x):
    return sin(x)


@numba.njit(**_entry)
def _cos_entry(x):
    return cos(x)


@numba.njit(**_entry)
def _erf_entry(x):
    return erf(x)


@numba.njit(**_entry)
def _pow_entry(x, y):
    return pow(x, y)


_PYTHON_ENTRIES = {"exp": _exp_entry, "expm1": _expm1_entry, "log": _log_entry, "log1p": _log1p_entry,
                   "tanh": _tanh_entry, "logistic": _logistic_entry, "sin": _sin_entry, "cos": _cos_entry,
                   "erf": _erf_entry, "pow": _pow_entry}
