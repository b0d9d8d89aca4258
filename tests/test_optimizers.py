"""fnx.optimizers against update equations written out in NumPy, the books' printed traces, and transforms."""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import fnx
import fnx.numpy as fnp
import fnx.optimizers as optim
from fnx.core.errors import FnxTypeError
from helpers import assert_same, check_against_numpy, eager_and_traced
from gradcheck import check_grads

RNG = np.random.default_rng(0)
PARAMS = {"w": RNG.standard_normal((2, 3)), "b": RNG.standard_normal(3)}
GRADS = [{"w": RNG.standard_normal((2, 3)), "b": RNG.standard_normal(3)} for _ in range(4)]


def fnx_run(opt):
    """A function ``(params, grads_seq) -> [params after each step]`` that runs ``opt`` in fnx."""

    def run(params, grads_seq):
        state = opt.init(params)
        trajectory = []
        for grads in grads_seq:
            updates, state = opt.update(grads, state, params)
            params = optim.apply_updates(params, updates)
            trajectory.append(params)
        return trajectory

    return run


def numpy_run(leaf_rule):
    """The NumPy trajectory for a rule ``leaf_rule(p0, [g1, g2, ...]) -> [p1, p2, ...]`` applied to each leaf."""

    def run(params, grads_seq):
        per_leaf = {k: leaf_rule(params[k], [g[k] for g in grads_seq]) for k in params}
        return [{k: per_leaf[k][i] for k in params} for i in range(len(grads_seq))]

    return run


# ---- Each optimizer's update equations, one leaf at a time, in NumPy ----

def np_sgd(lr_at):
    def rule(p, gs):
        out = []
        for t, g in enumerate(gs):
            p = p - lr_at(t) * g
            out.append(p)
        return out
    return rule


def np_momentum(lr, mu, averaged=False, nesterov=False):
    def rule(p, gs):
        v, out = np.zeros_like(p), []
        for g in gs:
            c = (1 - mu) if averaged else 1.0
            v = mu * v + c * g
            step = c * g + mu * v if nesterov else v
            p = p - lr * step
            out.append(p)
        return out
    return rule


def np_adagrad(lr, acc0=0.0, eps=1e-10, inside=False):
    def rule(p, gs):
        G, out = np.full_like(p, acc0), []
        for g in gs:
            G = G + g * g
            p = p - lr * (g / np.sqrt(G + eps) if inside else g / (np.sqrt(G) + eps))
            out.append(p)
        return out
    return rule


def np_adadelta(lr, rho, eps):
    def rule(p, gs):
        Eg, Ex, out = np.zeros_like(p), np.zeros_like(p), []
        for g in gs:
            Eg = rho * Eg + (1 - rho) * g ** 2
            dx = np.sqrt(Ex + eps) / np.sqrt(Eg + eps) * g
            Ex = rho * Ex + (1 - rho) * dx ** 2
            p = p - lr * dx
            out.append(p)
        return out
    return rule


def np_rmsprop(lr, decay, eps, inside=False, ms0=0.0, momentum=0.0):
    """With momentum in TensorFlow 1's form: the learning rate inside the momentum accumulator."""
    def rule(p, gs):
        ms, mom, out = np.full_like(p, ms0), np.zeros_like(p), []
        for g in gs:
            ms = decay * ms + (1 - decay) * g ** 2
            mom = momentum * mom + lr * (g / np.sqrt(ms + eps) if inside else g / (np.sqrt(ms) + eps))
            p = p - mom
            out.append(p)
        return out
    return rule


def np_adam(lr, b1=0.9, b2=0.999, eps=1e-8, inside=False, wd=0.0):
    def rule(p, gs):
        m, v, out = np.zeros_like(p), np.zeros_like(p), []
        for t, g in enumerate(gs, start=1):
            m = b1 * m + (1 - b1) * g
            v = b2 * v + (1 - b2) * g ** 2
            m_hat, v_hat = m / (1 - b1 ** t), v / (1 - b2 ** t)
            step = m_hat / np.sqrt(v_hat + eps) if inside else m_hat / (np.sqrt(v_hat) + eps)
            p = p - lr * (step + wd * p)
            out.append(p)
        return out
    return rule


def np_adamax(lr, b1=0.9, b2=0.999, eps=1e-8):
    def rule(p, gs):
        m, u, out = np.zeros_like(p), np.zeros_like(p), []
        for t, g in enumerate(gs, start=1):
            m = b1 * m + (1 - b1) * g
            u = np.maximum(b2 * u, np.abs(g))
            p = p - lr / (1 - b1 ** t) * m / (u + eps)
            out.append(p)
        return out
    return rule


def np_nadam_optax(lr, b1=0.9, b2=0.999, eps=1e-8):
    """Dozat's Nadam as Optax writes it: a Nesterov-corrected first moment."""
    def rule(p, gs):
        m, v, out = np.zeros_like(p), np.zeros_like(p), []
        for t, g in enumerate(gs, start=1):
            m = b1 * m + (1 - b1) * g
            v = b2 * v + (1 - b2) * g ** 2
            m_hat = b1 * m / (1 - b1 ** (t + 1)) + (1 - b1) * g / (1 - b1 ** t)
            p = p - lr * m_hat / (np.sqrt(v / (1 - b2 ** t)) + eps)
            out.append(p)
        return out
    return rule


def np_nadam_pytorch(lr, b1=0.9, b2=0.999, eps=1e-8, psi=0.004):
    """PyTorch's NAdam algorithm (Keras's Nadam with schedule_decay=psi)."""
    def rule(p, gs):
        m, v, prod, out = np.zeros_like(p), np.zeros_like(p), 1.0, []
        for t, g in enumerate(gs, start=1):
            mu_t = b1 * (1 - 0.5 * 0.96 ** (t * psi))
            mu_next = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * psi))
            prod *= mu_t
            m = b1 * m + (1 - b1) * g
            v = b2 * v + (1 - b2) * g ** 2
            denom = np.sqrt(v / (1 - b2 ** t)) + eps
            p = p - lr * (1 - mu_t) / (1 - prod) * g / denom
            p = p - lr * mu_next / (1 - prod * mu_next) * m / denom
            out.append(p)
        return out
    return rule


OPTIMIZER_CASES = {
    "sgd": (optim.sgd(0.1), np_sgd(lambda t: 0.1)),
    "sgd_exponential_schedule": (optim.sgd(optim.exponential_decay(0.1, 0.5)), np_sgd(lambda t: 0.1 * 0.5 ** t)),
    "momentum_classic": (optim.momentum(0.1, mu=0.9), np_momentum(0.1, 0.9)),
    "momentum_averaged": (optim.momentum(0.1, mu=0.8, averaged=True), np_momentum(0.1, 0.8, averaged=True)),
    "nesterov": (optim.nesterov(0.05, mu=0.9), np_momentum(0.05, 0.9, nesterov=True)),
    "nesterov_averaged": (optim.momentum(0.1, mu=0.8, nesterov=True, averaged=True),
                          np_momentum(0.1, 0.8, averaged=True, nesterov=True)),
    "adagrad": (optim.adagrad(0.5), np_adagrad(0.5)),
    "adagrad_tf_style": (optim.adagrad(0.5, initial_accumulator_value=0.1, eps=1e-6, eps_inside_sqrt=True),
                         np_adagrad(0.5, acc0=0.1, eps=1e-6, inside=True)),
    "adadelta": (optim.adadelta(), np_adadelta(1.0, 0.9, 1e-6)),
    "adadelta_keras": (optim.adadelta(0.5, rho=0.95, eps=1e-7), np_adadelta(0.5, 0.95, 1e-7)),
    "rmsprop": (optim.rmsprop(0.01), np_rmsprop(0.01, 0.9, 1e-8)),
    "rmsprop_tf1": (optim.rmsprop(0.01, decay=0.99, momentum=0.9, eps=1e-10, eps_inside_sqrt=True,
                                  initial_scale=1.0),
                    np_rmsprop(0.01, 0.99, 1e-10, inside=True, ms0=1.0, momentum=0.9)),
    "adam": (optim.adam(0.01), np_adam(0.01)),
    "adam_eps_inside": (optim.adam(0.01, eps=1e-3, eps_inside_sqrt=True), np_adam(0.01, eps=1e-3, inside=True)),
    "adamax": (optim.adamax(0.002), np_adamax(0.002)),
    "nadam": (optim.nadam(0.002), np_nadam_optax(0.002)),
    "nadam_pytorch_keras": (optim.nadam(0.002, momentum_decay=0.004), np_nadam_pytorch(0.002)),
    "adamw": (optim.adamw(0.01, weight_decay=0.1), np_adam(0.01, wd=0.1)),
}


@pytest.mark.parametrize("name", sorted(OPTIMIZER_CASES))
def test_optimizer_matches_numpy_equations(name):
    opt, rule = OPTIMIZER_CASES[name]
    check_against_numpy(fnx_run(opt), numpy_run(rule), PARAMS, GRADS, rtol=1e-10, atol=1e-13)


def test_adamw_mask_decays_only_the_chosen_leaves():
    opt = optim.adamw(0.01, weight_decay=0.1, mask=lambda p: {"w": True, "b": False})

    def reference(params, grads_seq):
        w = np_adam(0.01, wd=0.1)(params["w"], [g["w"] for g in grads_seq])
        b = np_adam(0.01)(params["b"], [g["b"] for g in grads_seq])
        return [{"w": wi, "b": bi} for wi, bi in zip(w, b)]

    check_against_numpy(fnx_run(opt), reference, PARAMS, GRADS, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("name", sorted(OPTIMIZER_CASES))
def test_float32_params_keep_float32_updates_and_state(name):
    opt, _ = OPTIMIZER_CASES[name]
    params = {k: fnp.asarray(v, dtype="float32") for k, v in PARAMS.items()}
    grads = {k: fnp.asarray(v, dtype="float32") for k, v in GRADS[0].items()}
    updates, state = opt.update(grads, opt.init(params), params)
    assert all(u.dtype == np.float32 for u in fnx.tree_leaves(updates))
    for leaf in fnx.tree_leaves(state):
        assert leaf.dtype in (np.float32, np.int32, np.float64), leaf.dtype
        if leaf.dtype == np.float64:  # only scalars computed from the step count may be float64
            assert leaf.shape == ()


# ---- The five-step traces on J = w^2 + w from w = 20 (Buduma/LazyProgrammer catalog, section C.5) ----

BOOK_TRACES = {
    "momentum_mu_0.9": (optim.momentum(0.1, mu=0.9), "20, 15.9, 8.93, 0.771, -6.8263, -12.39861"),
    "momentum_mu_0.99": (optim.momentum(0.1, mu=0.99), "20, 15.9, 8.561, -0.51681, -9.5004799, -16.594217121"),
    "adagrad": (optim.adagrad(1.0), "20, 19.0, 18.310786234, 17.7571315132, 17.2837847017, 16.8650738974"),
    "rmsprop_book": (optim.rmsprop(0.1, decay=0.9, eps=1e-10),
                     "20, 19.683772234, 19.4560534119, 19.2662360232, 19.0983069876, 18.944848946"),
    "rmsprop_tf1": (optim.rmsprop(0.01, decay=0.99, momentum=0.9, eps=1e-10, eps_inside_sqrt=True,
                                  initial_scale=1.0),
                    "20, 19.9028206801, 19.7456574711, 19.5471328392, 19.3190698545, 19.0697574157"),
    "rmsprop_tf1_ms0_zero": (optim.rmsprop(0.01, decay=0.99, momentum=0.9, eps=1e-10, eps_inside_sqrt=True),
                             "20, 19.9, 19.7392845426, 19.5370140168, 19.3052290155, 19.0523220693"),
}


def quadratic(w):
    return w * w + w


def five_steps(opt):
    def run(w):
        state, ws = opt.init(w), [w]
        for _ in range(5):
            updates, state = opt.update(fnx.grad(quadratic)(w), state, w)
            w = optim.apply_updates(w, updates)
            ws.append(w)
        return ws
    return run


@pytest.mark.parametrize("name", sorted(BOOK_TRACES))
def test_book_traces_on_quadratic(name):
    opt, printed = BOOK_TRACES[name]
    eager, traced = eager_and_traced(five_steps(opt), np.float64(20.0))
    for text, got_eager, got_traced in zip(printed.split(", "), eager, traced):
        decimals = len(text.split(".")[1]) if "." in text else 0
        tolerance = 0.5 * 10.0 ** -decimals
        assert abs(float(got_eager) - float(text)) <= tolerance, (text, float(got_eager))
        assert abs(float(got_traced) - float(text)) <= tolerance, (text, float(got_traced))


def test_plain_gradient_descent_trace_closed_form():
    eager, traced = eager_and_traced(five_steps(optim.sgd(0.3)), np.float64(20.0))
    expected = [-0.5 + 20.5 * 0.4 ** t for t in range(6)]
    np.testing.assert_allclose(np.array(eager, dtype=float), expected, rtol=1e-13)
    np.testing.assert_allclose(np.array(traced, dtype=float), expected, rtol=1e-13)


def test_nesterov_iterates_are_the_lookahead_points_of_the_textbook_form():
    """Ghatak 5.3.3: V = mu V - lr grad(W + mu V); W = W + V. fnx's iterates equal W + mu V; Bourez's
    ``p + mu v - lr g`` with ``v = mu m - lr g`` gives the same numbers."""
    mu, lr, grad = 0.9, 0.05, (lambda w: 2 * w + 1)
    W, V, lookahead = 20.0, 0.0, [20.0]
    p, m, bourez = 20.0, 0.0, [20.0]
    for _ in range(5):
        V = mu * V - lr * grad(W + mu * V)
        W = W + V
        lookahead.append(W + mu * V)
        g = grad(p)
        v = mu * m - lr * g
        p, m = p + mu * v - lr * g, v
        bourez.append(p)
    got = np.array(five_steps(optim.nesterov(lr, mu))(fnp.asarray(20.0)), dtype=float)
    np.testing.assert_allclose(got, lookahead, rtol=1e-12)
    np.testing.assert_allclose(got, bourez, rtol=1e-12)


# ---- Schedules against their formulas ----

SCHEDULE_CASES = {
    "constant": (optim.constant_schedule(0.3), lambda t: 0.3),
    "step_decay": (optim.step_decay(1.0, 3, 0.5), lambda t: 0.5 ** (t // 3)),
    "exponential": (optim.exponential_decay(2.0, 0.7, transition_steps=4), lambda t: 2.0 * 0.7 ** (t / 4)),
    "exponential_staircase": (optim.exponential_decay(2.0, 0.7, 4, staircase=True),
                              lambda t: 2.0 * 0.7 ** (t // 4)),
    "inverse_time": (optim.inverse_time_decay(1.0, 0.1, transition_steps=2), lambda t: 1.0 / (1 + 0.1 * t / 2)),
    "inverse_time_staircase": (optim.inverse_time_decay(1.0, 0.1, 2, staircase=True),
                               lambda t: 1.0 / (1 + 0.1 * (t // 2))),
    "cosine": (optim.cosine_decay(0.5, 8, alpha=0.1),
               lambda t: 0.5 * (0.9 * 0.5 * (1 + math.cos(math.pi * min(t, 8) / 8)) + 0.1)),
    "warmup_then_cosine": (optim.linear_warmup(optim.cosine_decay(0.5, 8), 4, init_value=0.1),
                           lambda t: 0.1 + 0.4 * t / 4 if t < 4
                           else 0.5 * 0.5 * (1 + math.cos(math.pi * min(t - 4, 8) / 8))),
    "warmup_then_constant": (optim.linear_warmup(0.2, 5), lambda t: min(t, 5) * 0.04),
}


@pytest.mark.parametrize("name", sorted(SCHEDULE_CASES))
def test_schedule_matches_formula(name):
    schedule, formula = SCHEDULE_CASES[name]
    counts = np.arange(15, dtype=np.int32)
    expected = np.array([formula(int(t)) for t in counts])
    check_against_numpy(lambda c: fnp.stack([schedule(c[i]) for i in range(len(counts))]),
                        lambda c: expected, counts, rtol=1e-12, atol=1e-15)
    assert float(schedule(7)) == pytest.approx(formula(7), rel=1e-12)  # a Python int count works too


def test_book_schedules_c6():
    """Catalog C.6 (A=1, k=0.1): inverse A/(1+kt), exponential A e^{-kt}, and the book's halving loop
    ``if epoch % 10 == 0: lr /= 2`` that also halves at epoch 0."""
    inverse = optim.inverse_time_decay(1.0, 0.1)
    exponential = optim.exponential_decay(1.0, math.exp(-0.1))
    for t, inv, exp_ in zip(range(4), [1.0, 0.9090909091, 0.8333333333, 0.7692307692],
                            [1.0, 0.904837418, 0.8187307531, 0.7408182207]):
        assert abs(float(inverse(t)) - inv) < 5e-11
        assert abs(float(exponential(t)) - exp_) < 5e-10
    halving = optim.step_decay(1.0 * 0.5, 10, 0.5)
    lr, book = 1.0, []
    for epoch in range(30):
        if epoch % 10 == 0:
            lr /= 2
        book.append(lr)
    assert [float(halving(e)) for e in range(30)] == book


def test_schedule_in_momentum_is_applied_outside_the_velocity():
    sched = optim.inverse_time_decay(0.1, 0.5)

    def reference(p, gs):
        v, out = np.zeros_like(p), []
        for t, g in enumerate(gs):
            v = 0.9 * v + g
            p = p - 0.1 / (1 + 0.5 * t) * v
            out.append(p)
        return out

    check_against_numpy(fnx_run(optim.momentum(sched, mu=0.9)), numpy_run(reference), PARAMS, GRADS, rtol=1e-12)


# ---- Clipping and weight decay against NumPy ----

def _clip_by_global_norm_bourez(gs, c):
    """Bourez's ``clip_norms`` transcribed: ``switch(norm >= c, g * c / norm, g)``."""
    norm = np.sqrt(sum(np.sum(g ** 2) for g in gs.values()))
    return {k: g * c / norm if norm >= c else g for k, g in gs.items()}


@settings(max_examples=30, deadline=None)
@given(shape=st.lists(st.integers(1, 4), max_size=3), bound=st.floats(0.1, 5.0), seed=st.integers(0, 2 ** 16))
def test_clipping_matches_numpy(shape, bound, seed):
    rng = np.random.default_rng(seed)
    grads = {"w": 3 * rng.standard_normal(shape), "b": 3 * rng.standard_normal(3)}

    def run(transform):
        return lambda g: transform.update(g, transform.init(g))[0]

    def by_norm(gs):
        return {k: g * bound / max(np.linalg.norm(g.ravel()), bound) for k, g in gs.items()}

    check_against_numpy(run(optim.clip_by_value(bound)),
                        lambda gs: {k: np.clip(g, -bound, bound) for k, g in gs.items()}, grads)
    check_against_numpy(run(optim.clip_by_norm(bound)), by_norm, grads, rtol=1e-12)
    check_against_numpy(run(optim.clip_by_global_norm(bound)),
                        lambda gs: _clip_by_global_norm_bourez(gs, bound), grads, rtol=1e-12)


def test_clipping_leaves_small_gradients_exactly_unchanged():
    grads = {"w": np.array([0.3, -0.4]), "b": np.array([0.0])}
    for transform in (optim.clip_by_value(1.0), optim.clip_by_norm(1.0), optim.clip_by_global_norm(1.0)):
        assert_same(transform.update(grads, transform.init(grads))[0], grads, rtol=0)
    np.testing.assert_allclose(float(optim.global_norm(grads)), 0.5)


def test_add_decayed_weights_with_mask_pytree():
    wd = optim.add_decayed_weights(0.01, mask={"w": True, "b": False})
    check_against_numpy(lambda g, p: wd.update(g, wd.init(p), p)[0],
                        lambda g, p: {"w": g["w"] + 0.01 * p["w"], "b": g["b"]}, GRADS[0], PARAMS)


# ---- Composition ----

def test_chain_of_clip_decay_and_momentum_matches_numpy():
    opt = optim.chain(optim.clip_by_global_norm(1.5), optim.add_decayed_weights(1e-2),
                      optim.momentum(0.1, mu=0.9))

    def reference(params, grads_seq):
        v = {k: np.zeros_like(p) for k, p in params.items()}
        out = []
        for grads in grads_seq:
            clipped = _clip_by_global_norm_bourez(grads, 1.5)
            v = {k: 0.9 * v[k] + clipped[k] + 1e-2 * params[k] for k in params}
            params = {k: params[k] - 0.1 * v[k] for k in params}
            out.append(params)
        return out

    check_against_numpy(fnx_run(opt), reference, PARAMS, GRADS, rtol=1e-11)


def test_optimizers_are_chains_of_building_blocks():
    built = optim.chain(optim.scale_by_adam(), optim.scale_by_learning_rate(0.01))
    nested = optim.chain(optim.chain(optim.scale_by_adam()), optim.chain(optim.scale(-0.01)))
    expected = fnx_run(optim.adam(0.01))(PARAMS, GRADS)
    assert_same(fnx_run(built)(PARAMS, GRADS), expected, rtol=0)
    assert_same(fnx_run(nested)(PARAMS, GRADS), expected, rtol=0)
    state = optim.adam(0.01).init(PARAMS)
    assert isinstance(state, tuple) and isinstance(state[0], optim.ScaleByAdamState)
    assert state[0].count.dtype == np.int32 and state[0].count.shape == ()


# ---- Transforms: jit, grad, vmap ----

_JIT_OPT = optim.chain(optim.clip_by_global_norm(1.0),
                       optim.adamw(optim.linear_warmup(optim.cosine_decay(0.05, 10), 2, init_value=0.01)))


def _train_step(params, state, grads):
    updates, state = _JIT_OPT.update(grads, state, params)
    return optim.apply_updates(params, updates), state


_jitted_train_step = fnx.jit(_train_step)


def test_jitted_step_matches_eager():
    params, state = PARAMS, _JIT_OPT.init(PARAMS)
    eager_params, eager_state = params, state
    for grads in GRADS[:3]:
        params, state = _jitted_train_step(params, state, grads)
        eager_params, eager_state = _train_step(eager_params, eager_state, grads)
    assert_same(params, eager_params, rtol=1e-12)
    assert_same(state, eager_state, rtol=1e-12)
    assert int(state[1][0].count) == 3


def test_gradient_through_an_optimizer_step_matches_finite_differences():
    """Meta-gradient: d/dp of the loss after one RMSprop-with-momentum step taken from p."""
    opt = optim.rmsprop(0.05, momentum=0.5, eps=1e-3, eps_inside_sqrt=True)

    def loss(p):
        return fnp.sum(fnp.sin(p) * p + 0.5 * p ** 2)

    def loss_after_two_steps(p):
        state = opt.init(p)
        for _ in range(2):
            updates, state = opt.update(fnx.grad(loss)(p), state, p)
            p = optim.apply_updates(p, updates)
        return loss(p)

    check_grads(loss_after_two_steps, [np.array([0.3, -1.2, 2.0])])


def test_vmap_over_independent_problems():
    opt = optim.nadam(0.01, momentum_decay=0.004)
    batch_params = fnx.tree_map(lambda p: np.stack([p, 2 * p, -p]), PARAMS)
    batch_grads = fnx.tree_map(lambda g: np.stack([g, -g, 0.5 * g]), GRADS[0])
    updates, state = fnx.vmap(opt.update)(batch_grads, fnx.vmap(opt.init)(batch_params), batch_params)
    for i in range(3):
        one = lambda tree: fnx.tree_map(lambda x: np.asarray(x)[i], tree)  # noqa: E731
        expected_updates, expected_state = opt.update(one(batch_grads), opt.init(one(batch_params)))
        assert_same(one(updates), expected_updates, rtol=1e-12)
        assert_same(fnx.tree_map(np.asarray, one(state)[0].mu), expected_state[0].mu, rtol=1e-12)


# ---- Errors ----

def test_mismatched_pytrees_raise_clear_errors():
    opt = optim.adam(0.1)
    state = opt.init(PARAMS)
    with pytest.raises(FnxTypeError, match="scale_by_adam.update: pytree structures differ"):
        opt.update({"w": PARAMS["w"]}, state)
    with pytest.raises(FnxTypeError, match=r"scale_by_adam.update: leaf shapes differ: \(4,\) vs \(3,\)"):
        opt.update({"w": PARAMS["w"], "b": np.zeros(4)}, state)
    with pytest.raises(FnxTypeError, match="apply_updates: pytree structures differ"):
        optim.apply_updates(PARAMS, [PARAMS["w"]])
    with pytest.raises(FnxTypeError, match="chain.update: expected a tuple of 2 states"):
        opt.update(PARAMS, state[0])


def test_weight_decay_needs_params_and_a_matching_mask():
    opt = optim.adamw(0.1)
    with pytest.raises(FnxTypeError, match="add_decayed_weights.update: this transformation needs the parameters"):
        opt.update(GRADS[0], opt.init(PARAMS))
    masked = optim.add_decayed_weights(0.1, mask={"w": True})
    with pytest.raises(FnxTypeError, match=r"add_decayed_weights.update \(mask\): pytree structures differ"):
        masked.update(GRADS[0], masked.init(PARAMS), PARAMS)


def test_bad_hyperparameters_raise_value_errors():
    with pytest.raises(ValueError, match="scale_by_rms: decay must be in"):
        optim.rmsprop(0.1, decay=1.5)
    with pytest.raises(ValueError, match="trace: mu must be in"):
        optim.momentum(0.1, mu=-0.1)
    with pytest.raises(ValueError, match="clip_by_global_norm: the bound must be positive"):
        optim.clip_by_global_norm(0.0)
    with pytest.raises(ValueError, match="step_decay: step_size must be positive"):
        optim.step_decay(1.0, 0, 0.5)
