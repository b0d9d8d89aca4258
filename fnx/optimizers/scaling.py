"""Building blocks that rescale gradients: by a constant or a schedule, by momentum, by running moments.

Each function returns a ``GradientTransformation``; the named optimizers in ``optimizers.py`` are chains
of these. States are NamedTuples of arrays; moment estimates have the dtype of their parameters and step
counts are int32 scalars. Scalars computed from the count (learning rates, bias corrections) are cast to
each leaf's dtype, so float32 parameters get float32 updates.
"""
from __future__ import annotations

from typing import Any, NamedTuple

from .. import numpy as fnp
from ..tree_util import tree_map
from .base import EmptyState, GradientTransformation, cast_like, tree_map_checked
from .schedules import Schedule

LearningRate = Any  # a float or a Schedule


def _check_decay(op: str, name: str, value: float) -> None:
    if not 0.0 <= value < 1.0:
        raise ValueError(f"{op}: {name} must be in [0, 1), got {value}")


def _zeros_like_tree(params):
    return tree_map(fnp.zeros_like, params)


def _zero_count():
    return fnp.zeros([], dtype="int32")


def _normalize(g, second_moment, eps: float, eps_inside_sqrt: bool):
    """``g / (sqrt(v) + eps)``, or ``g / sqrt(v + eps)`` with the epsilon inside the square root."""
    if eps_inside_sqrt:
        return g / fnp.sqrt(second_moment + eps)
    return g / (fnp.sqrt(second_moment) + eps)


def scale(step_size: float) -> GradientTransformation:
    """Multiply every gradient by the constant ``step_size`` (use ``-lr`` for descent).

    >>> import fnx.numpy as fnp
    >>> scale(-0.5).update({"w": fnp.array([2.0])}, EmptyState())[0]["w"]
    Array([-1.], dtype=float64)
    """

    def update(grads, state, params=None):
        return tree_map(lambda g: g * step_size, grads), state

    return GradientTransformation(lambda params: EmptyState(), update)


class ScaleByScheduleState(NamedTuple):
    """``count``: the number of updates made so far (int32 scalar)."""

    count: Any


def scale_by_schedule(schedule: Schedule) -> GradientTransformation:
    """Multiply the gradients by ``schedule(count)``, then increment ``count``.

    >>> import fnx.numpy as fnp
    >>> t = scale_by_schedule(lambda count: 2.0 ** count)
    >>> u, s = t.update({"w": fnp.array([1.0])}, t.init(None))
    >>> u, s = t.update({"w": fnp.array([1.0])}, s)
    >>> u["w"]
    Array([2.], dtype=float64)
    """

    def init(params):
        return ScaleByScheduleState(_zero_count())

    def update(grads, state, params=None):
        step_size = schedule(state.count)
        updates = tree_map(lambda g: g * cast_like(step_size, g), grads)
        return updates, ScaleByScheduleState(state.count + 1)

    return GradientTransformation(init, update)


def scale_by_learning_rate(learning_rate: LearningRate) -> GradientTransformation:
    """Multiply the gradients by ``-learning_rate`` (a float or a schedule): the descent step.

    >>> import fnx.numpy as fnp
    >>> scale_by_learning_rate(0.1).update({"w": fnp.array([1.0])}, EmptyState())[0]["w"]
    Array([-0.1], dtype=float64)
    """
    if callable(learning_rate):
        return scale_by_schedule(lambda count: -learning_rate(count))
    return scale(-learning_rate)


class TraceState(NamedTuple):
    """``velocity``: the running (momentum) sum of gradients, shaped like the parameters."""

    velocity: Any


def trace(mu: float, nesterov: bool = False, averaged: bool = False) -> GradientTransformation:
    """Momentum: ``v = mu * v + c * g`` with ``c = 1`` (classic) or ``c = 1 - mu`` (``averaged=True``,
    the exponential moving average of Ghatak 2019, section 5.3.2); the update is ``v``, or ``c * g + mu * v`` (the
    velocity one step ahead) with ``nesterov=True``. ``v`` starts at 0.

    Followed by ``scale_by_learning_rate(lr)`` this is PyTorch's ``p -= lr * v``. Books that keep ``lr``
    inside the velocity (``dw = mu * dw - lr * g; w += dw``: LazyProgrammer 2016, Bourez 2017, TensorFlow 1)
    give the same iterates for a constant learning rate.

    >>> import fnx.numpy as fnp
    >>> t = trace(0.9)
    >>> u, s = t.update({"w": fnp.array([1.0])}, t.init({"w": fnp.zeros(1)}))
    >>> t.update({"w": fnp.array([1.0])}, s)[0]["w"]
    Array([1.9], dtype=float64)
    """
    _check_decay("trace", "mu", mu)
    gain = 1.0 - mu if averaged else 1.0

    def update(grads, state, params=None):
        velocity = tree_map_checked("trace.update", lambda g, v: mu * v + gain * g, grads, state.velocity)
        if nesterov:
            updates = tree_map(lambda g, v: gain * g + mu * v, grads, velocity)
        else:
            updates = velocity
        return updates, TraceState(velocity)

    return GradientTransformation(lambda params: TraceState(_zeros_like_tree(params)), update)


class ScaleByRssState(NamedTuple):
    """``sum_of_squares``: the accumulated squared gradients (AdaGrad's cache), shaped like the parameters."""

    sum_of_squares: Any


def scale_by_rss(initial_accumulator_value: float = 0.0, eps: float = 1e-10,
                 eps_inside_sqrt: bool = False) -> GradientTransformation:
    """AdaGrad's scaling: ``G = G + g**2``; update ``g / (sqrt(G) + eps)`` (or ``g / sqrt(G + eps)``).

    ``G`` starts at ``initial_accumulator_value``. Defaults are PyTorch's and the book's (004: cache 0,
    eps 1e-10 outside the root); Optax uses 0.1 and eps 1e-7, TF1 0.1 and no eps.

    >>> import fnx.numpy as fnp
    >>> t = scale_by_rss()
    >>> t.update({"w": fnp.array([3.0])}, t.init({"w": fnp.zeros(1)}))[0]["w"]
    Array([1.], dtype=float64)
    """

    def init(params):
        return ScaleByRssState(tree_map(lambda p: fnp.full_like(p, initial_accumulator_value), params))

    def update(grads, state, params=None):
        acc = tree_map_checked("scale_by_rss.update", lambda g, s: s + g * g, grads, state.sum_of_squares)
        updates = tree_map(lambda g, s: _normalize(g, s, eps, eps_inside_sqrt), grads, acc)
        return updates, ScaleByRssState(acc)

    return GradientTransformation(init, update)


class ScaleByRmsState(NamedTuple):
    """``nu``: the moving average of squared gradients, shaped like the parameters."""

    nu: Any


def scale_by_rms(decay: float = 0.9, eps: float = 1e-8, eps_inside_sqrt: bool = False,
                 initial_scale: float = 0.0) -> GradientTransformation:
    """RMSprop's scaling: ``nu = decay * nu + (1 - decay) * g**2``; update ``g / (sqrt(nu) + eps)``
    (or ``g / sqrt(nu + eps)``). ``nu`` starts at ``initial_scale`` (TensorFlow 1 uses 1.0).

    >>> import fnx.numpy as fnp
    >>> t = scale_by_rms(decay=0.75, eps=0.0)
    >>> t.update({"w": fnp.array([2.0])}, t.init({"w": fnp.zeros(1)}))[0]["w"]
    Array([2.], dtype=float64)
    """
    _check_decay("scale_by_rms", "decay", decay)

    def init(params):
        return ScaleByRmsState(tree_map(lambda p: fnp.full_like(p, initial_scale), params))

    def update(grads, state, params=None):
        nu = tree_map_checked("scale_by_rms.update", lambda g, n: decay * n + (1.0 - decay) * g * g,
                              grads, state.nu)
        updates = tree_map(lambda g, n: _normalize(g, n, eps, eps_inside_sqrt), grads, nu)
        return updates, ScaleByRmsState(nu)

    return GradientTransformation(init, update)


class ScaleByAdamState(NamedTuple):
    """``count`` (int32 scalar), first moments ``mu`` and second moments ``nu`` shaped like the parameters."""

    count: Any
    mu: Any
    nu: Any


def _moments(op: str, grads, state, b1: float, b2: float):
    mu = tree_map_checked(op, lambda g, m: b1 * m + (1.0 - b1) * g, grads, state.mu)
    nu = tree_map_checked(op, lambda g, v: b2 * v + (1.0 - b2) * g * g, grads, state.nu)
    return mu, nu


def _adam_init(params):
    return ScaleByAdamState(_zero_count(), _zeros_like_tree(params), _zeros_like_tree(params))


def scale_by_adam(b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8,
                  eps_inside_sqrt: bool = False) -> GradientTransformation:
    """Adam's scaling with bias correction: ``m = b1 m + (1-b1) g``, ``v = b2 v + (1-b2) g**2``,
    ``m_hat = m / (1 - b1**t)``, ``v_hat = v / (1 - b2**t)`` (``t`` counts from 1), update
    ``m_hat / (sqrt(v_hat) + eps)``; ``eps_inside_sqrt=True`` gives ``m_hat / sqrt(v_hat + eps)``
    (equation 5.3.11 of Ghatak 2019; his code has eps outside).

    >>> import fnx.numpy as fnp
    >>> t = scale_by_adam(eps=0.0)
    >>> t.update({"w": fnp.array([-3.0])}, t.init({"w": fnp.zeros(1)}))[0]["w"]
    Array([-1.], dtype=float64)
    """
    _check_decay("scale_by_adam", "b1", b1)
    _check_decay("scale_by_adam", "b2", b2)

    def update(grads, state, params=None):
        mu, nu = _moments("scale_by_adam.update", grads, state, b1, b2)
        count = state.count + 1
        c1, c2 = 1.0 - b1 ** count, 1.0 - b2 ** count
        updates = tree_map(lambda m, v: _normalize(m / cast_like(c1, m), v / cast_like(c2, v), eps,
                                                   eps_inside_sqrt), mu, nu)
        return updates, ScaleByAdamState(count, mu, nu)

    return GradientTransformation(_adam_init, update)


def scale_by_adamax(b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8) -> GradientTransformation:
    """Adamax's scaling (Adam with the infinity norm): ``m = b1 m + (1-b1) g``, ``u = max(b2 u, |g|)``,
    update ``m / (1 - b1**t) / (u + eps)``. The state is a ``ScaleByAdamState`` whose ``nu`` holds ``u``.
    (Optax and Keras; PyTorch adds eps to ``|g|`` inside the max instead.)

    >>> import fnx.numpy as fnp
    >>> t = scale_by_adamax(eps=0.0)
    >>> t.update({"w": fnp.array([-3.0])}, t.init({"w": fnp.zeros(1)}))[0]["w"]
    Array([-1.], dtype=float64)
    """
    _check_decay("scale_by_adamax", "b1", b1)
    _check_decay("scale_by_adamax", "b2", b2)

    def update(grads, state, params=None):
        op = "scale_by_adamax.update"
        mu = tree_map_checked(op, lambda g, m: b1 * m + (1.0 - b1) * g, grads, state.mu)
        nu = tree_map_checked(op, lambda g, u: fnp.maximum(b2 * u, fnp.abs(g)), grads, state.nu)
        count = state.count + 1
        c1 = 1.0 - b1 ** count
        updates = tree_map(lambda m, u: m / cast_like(c1, m) / (u + eps), mu, nu)
        return updates, ScaleByAdamState(count, mu, nu)

    return GradientTransformation(_adam_init, update)


class ScaleByNadamState(NamedTuple):
    """Adam's ``count``, ``mu``, ``nu`` plus ``mu_product``, the product of the momentum coefficients so far."""

    count: Any
    mu: Any
    nu: Any
    mu_product: Any


def scale_by_nadam(b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8,
                   momentum_decay: float | None = None) -> GradientTransformation:
    """Nadam (Adam with a Nesterov look-ahead on the first moment).

    With momentum coefficients ``mu_t`` and their product ``P_t = mu_1 ... mu_t``, the update is
    ``((1 - mu_t) / (1 - P_t) * g + mu_{t+1} / (1 - P_t mu_{t+1}) * m) / (sqrt(v / (1 - b2**t)) + eps)``
    where ``m``, ``v`` are Adam's moments. ``momentum_decay=None`` (Optax, default) uses ``mu_t = b1``;
    a number ``psi`` uses Dozat's schedule ``mu_t = b1 (1 - 0.96**(t psi) / 2)`` of PyTorch's ``NAdam``
    (``psi = 0.004``) and Keras's ``Nadam`` (``schedule_decay=0.004``).

    >>> import fnx.numpy as fnp
    >>> t = scale_by_nadam(eps=0.0)
    >>> u, _ = t.update({"w": fnp.array([2.0])}, t.init({"w": fnp.zeros(1)}))
    >>> round(float(u["w"][0]), 6)  # (2 + 0.9 * 0.2 / 0.19) / 2
    1.473684
    """
    _check_decay("scale_by_nadam", "b1", b1)
    _check_decay("scale_by_nadam", "b2", b2)

    def coefficient(t):
        if momentum_decay is None:
            return fnp.full_like(fnp.astype_float(t), b1)
        return b1 * (1.0 - 0.5 * 0.96 ** (fnp.astype_float(t) * momentum_decay))

    def init(params):
        return ScaleByNadamState(_zero_count(), _zeros_like_tree(params), _zeros_like_tree(params),
                                 fnp.ones([]))

    def update(grads, state, params=None):
        mu, nu = _moments("scale_by_nadam.update", grads, state, b1, b2)
        count = state.count + 1
        mu_t, mu_next = coefficient(count), coefficient(count + 1)
        product = state.mu_product * mu_t
        g_coef = (1.0 - mu_t) / (1.0 - product)
        m_coef = mu_next / (1.0 - product * mu_next)
        c2 = 1.0 - b2 ** count

        def direction(g, m, v):
            numerator = cast_like(g_coef, g) * g + cast_like(m_coef, m) * m
            return numerator / (fnp.sqrt(v / cast_like(c2, v)) + eps)

        updates = tree_map(direction, grads, mu, nu)
        return updates, ScaleByNadamState(count, mu, nu, product)

    return GradientTransformation(init, update)


class ScaleByAdadeltaState(NamedTuple):
    """Moving averages of squared gradients (``nu``) and of squared steps (``delta_sq``), like the parameters."""

    nu: Any
    delta_sq: Any


def scale_by_adadelta(rho: float = 0.9, eps: float = 1e-6) -> GradientTransformation:
    """AdaDelta's scaling (Zeiler 2012): ``nu = rho nu + (1-rho) g**2``,
    ``d = sqrt(delta_sq + eps) / sqrt(nu + eps) * g``, ``delta_sq = rho delta_sq + (1-rho) d**2``; update ``d``.

    Defaults are PyTorch's and Optax's; Keras (Ketkar 2017, listing 7-7) uses ``rho=0.95`` (and eps 1e-7 or 1e-8).

    >>> import fnx.numpy as fnp
    >>> t = scale_by_adadelta(rho=0.0, eps=1.0)
    >>> t.update({"w": fnp.array([0.0])}, t.init({"w": fnp.zeros(1)}))[0]["w"]
    Array([0.], dtype=float64)
    """
    _check_decay("scale_by_adadelta", "rho", rho)

    def init(params):
        return ScaleByAdadeltaState(_zeros_like_tree(params), _zeros_like_tree(params))

    def update(grads, state, params=None):
        op = "scale_by_adadelta.update"
        nu = tree_map_checked(op, lambda g, n: rho * n + (1.0 - rho) * g * g, grads, state.nu)
        steps = tree_map_checked(op, lambda g, n, d: fnp.sqrt(d + eps) / fnp.sqrt(n + eps) * g,
                                 grads, nu, state.delta_sq)
        delta_sq = tree_map(lambda d, s: rho * d + (1.0 - rho) * s * s, state.delta_sq, steps)
        return steps, ScaleByAdadeltaState(nu, delta_sq)

    return GradientTransformation(init, update)


class ScaleByRpropState(NamedTuple):
    """The previous gradient (``prev_grads``, zeroed where its sign flipped) and the per-parameter step sizes
    (``step_sizes``), both shaped like the parameters."""

    prev_grads: Any
    step_sizes: Any


def scale_by_rprop(initial_step: float = 0.1, eta_minus: float = 0.5, eta_plus: float = 1.2,
                   min_step: float = 1e-6, max_step: float = 50.0) -> GradientTransformation:
    """Rprop's scaling in its iRprop- form (Riedmiller & Braun 1993; Igel & Hüsken 2000): per parameter, the
    step grows by ``eta_plus`` (up to ``max_step``) while the gradient keeps its sign, shrinks by ``eta_minus``
    (down to ``min_step``) when it flips, and the gradient of a flip is set to 0 (no move this time, and no
    size change next time). The update is ``sign(g) * step``: only the sign of the gradient is used.

    >>> import fnx.numpy as fnp
    >>> t = scale_by_rprop(initial_step=0.1)
    >>> u, s = t.update({"w": fnp.array([3.0, -2.0])}, t.init({"w": fnp.zeros(2)}))
    >>> u["w"]
    Array([ 0.1, -0.1], dtype=float64)
    """
    if not 0 < eta_minus < 1 < eta_plus:
        raise ValueError(f"scale_by_rprop: needs 0 < eta_minus < 1 < eta_plus, got {eta_minus}, {eta_plus}")

    def init(params):
        return ScaleByRpropState(_zeros_like_tree(params), tree_map(lambda p: fnp.full_like(p, initial_step), params))

    def update(grads, state, params=None):
        products = tree_map_checked("scale_by_rprop.update", lambda g, p: g * p, grads, state.prev_grads)
        steps = tree_map(lambda s, q: fnp.where(q > 0, fnp.minimum(s * eta_plus, max_step),
                                                fnp.where(q < 0, fnp.maximum(s * eta_minus, min_step), s)),
                         state.step_sizes, products)
        kept = tree_map(lambda g, q: fnp.where(q < 0, fnp.zeros_like(g), g), grads, products)
        updates = tree_map(lambda g, s: fnp.sign(g) * s, kept, steps)
        return updates, ScaleByRpropState(kept, steps)

    return GradientTransformation(init, update)


__all__ = ["LearningRate", "ScaleByAdadeltaState", "ScaleByAdamState", "ScaleByNadamState", "ScaleByRmsState",
           "ScaleByRpropState", "ScaleByRssState", "ScaleByScheduleState", "TraceState", "scale", "scale_by_adadelta",
           "scale_by_adam", "scale_by_adamax", "scale_by_learning_rate", "scale_by_nadam", "scale_by_rms",
           "scale_by_rprop", "scale_by_rss",
           "scale_by_schedule", "trace"]
