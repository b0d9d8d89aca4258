"""Fit the float32 tanh and logistic approximations of fnx/lower/cpu/vecmath.py (development time only).

    python tools/vecmath/fit_float32.py

Prints the coefficients pasted into vecmath.py and each fit's own error. Plain NumPy (float64 is ample for
float32 targets): a near-minimax fit by Lawson's iteratively reweighted least squares on a dense grid, for
rationals linearised around the previous denominator (Loeb's method).

* tanh: t(w) = w P(w^2) / Q(w^2) ~ tanh(w) on 0 <= w <= CLAMP/2, P(0) = Q(0) = 1, degrees 2 and 3, and then
  tanh(x) = 2t / (1 + t^2) with w = x/2. An error d in t moves tanh(x) by d / cosh(2w) relatively, so the fit
  minimises the relative error of t divided by cosh(2w) (it may grow where tanh saturates).
* exp(-r) on |r| <= ln(2)/2 (plus a margin for the rounding of the reduction): degree 6, constant term 1,
  relative error.
"""
from __future__ import annotations

import numpy as np

CLAMP = 9.02        # tanh(x) rounds to 1 in float32 from x = 9.0109 on
TANH_DEGREES = (2, 3)
EXP_DEGREE = 6


def _grid(lo: float, hi: float, n: int) -> np.ndarray:
    """Points clustered towards both ends, like Chebyshev nodes."""
    return lo + (hi - lo) * (1 - np.cos(np.linspace(0, np.pi, n))) / 2


def fit_rational(f, weight, zmax: float, p: int, q: int, n: int = 8000, iterations: int = 200):
    """P(0) = Q(0) = 1, degrees p and q in z on [0, zmax], minimising max |weight(z) (P/Q - f) / f|.

    Returns the coefficients of P and Q (lowest degree first) and the weighted error reached.
    """
    t = _grid(0.0, 1.0, n)  # z / zmax, for conditioning
    z = t * zmax
    fz, wz = f(z), weight(z)
    basis = np.vander(t, max(p, q) + 1, increasing=True)
    lam = np.full(n, 1.0 / n)
    denominator = np.ones(n)
    for _ in range(iterations):
        # P(t) - f Q(t) = 0 linearised: unknowns a1..ap, b1..bq; scaled by the previous denominator
        a_mat = np.hstack([basis[:, 1:p + 1], -fz[:, None] * basis[:, 1:q + 1]])
        scale = np.sqrt(lam) * wz / (fz * denominator)
        sol = np.linalg.lstsq(a_mat * scale[:, None], (fz - 1) * scale, rcond=None)[0]
        a = np.concatenate([[1.0], sol[:p]])
        b = np.concatenate([[1.0], sol[p:]])
        denominator = basis[:, :q + 1] @ b
        err = ((basis[:, :p + 1] @ a) / denominator - fz) / fz * wz
        lam = lam * np.abs(err) + 1e-300
        lam /= lam.sum()
    return a / zmax ** np.arange(p + 1), b / zmax ** np.arange(q + 1), float(np.max(np.abs(err)))


def fit_polynomial(f, lo: float, hi: float, degree: int, n: int = 8000, iterations: int = 200):
    """Constant term 1, minimising the maximum relative error on [lo, hi]: (coefficients, error)."""
    x = _grid(lo, hi, n)
    fx = f(x)
    basis = np.vander(x, degree + 1, increasing=True)
    lam = np.full(n, 1.0 / n)
    for _ in range(iterations):
        scale = np.sqrt(lam) / np.abs(fx)
        sol = np.linalg.lstsq(basis[:, 1:] * scale[:, None], (fx - 1) * scale, rcond=None)[0]
        c = np.concatenate([[1.0], sol])
        err = (basis @ c - fx) / fx
        lam = lam * np.abs(err) + 1e-300
        lam /= lam.sum()
    return c, float(np.max(np.abs(err)))


def tanh_over_w(z: np.ndarray) -> np.ndarray:
    """tanh(w)/w at z = w^2 (1 - z/3 near 0)."""
    w = np.sqrt(z)
    with np.errstate(all="ignore"):
        return np.where(z < 1e-12, 1 - z / 3, np.tanh(w) / np.where(w > 0, w, 1))


def main() -> None:
    half = CLAMP / 2
    p, q, err = fit_rational(tanh_over_w, lambda z: 1 / np.cosh(2 * np.sqrt(z)), half * half, *TANH_DEGREES)
    print(f"tanh: t(w) = w P(w^2)/Q(w^2) on [0, {half}], weighted relative error 2**{np.log2(err):.2f}")
    # in terms of z = x^2 (w^2 = z/4): the coefficients of P(z/4) and Q(z/4)
    print("  P(z/4):", [float(v) for v in p / 4.0 ** np.arange(len(p))])
    print("  Q(z/4):", [float(v) for v in q / 4.0 ** np.arange(len(q))])
    r = np.log(2) / 2 * 1.0001
    c, err = fit_polynomial(lambda v: np.exp(-v), -r, r, EXP_DEGREE)
    print(f"exp(-r) on |r| <= {r:.6f}: relative error 2**{np.log2(err):.2f}")
    print("  coefficients:", [float(v) for v in c])


if __name__ == "__main__":
    main()
