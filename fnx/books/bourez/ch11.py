"""Bourez, chapter 11 (learning from the environment with reinforcement): tabular Q-learning on the chapter's
six-state graph, and deep Q-learning on CartPole, both with the environment written as pure fnx functions (no
Gym): an episode is a ``lax.scan`` of steps, exploration draws from ``fnx.random`` keys.

The book's graph figure was lost; ``DOORS`` is a graph matching its text: state 0 the entrance, 5 the exit,
reward 100 for leaving 4 for 5, leaving 3 for 0 moves away from the exit and 3 for 4 towards it."""
from __future__ import annotations

import numpy as np

import fnx
import fnx.nn as nn
import fnx.numpy as fnp
import fnx.optimizers as optim
from fnx import lax

from ..checks import Below, Between, Falls, Value
from ..registry import listing

DOORS = [(0, 1), (0, 3), (1, 2), (2, 4), (3, 4), (4, 5)]  # both ways; 5, the exit, ends the episode
EXIT, GAMMA = 5, 0.8  # the book gives no discount; 0.8 is the usual one for this example


def graph() -> tuple[np.ndarray, np.ndarray]:
    """The moves (6, 6) (True where a door leads from row state to column state; none from the exit) and
    the rewards (6, 6)."""
    moves = np.zeros((6, 6), bool)
    for a, b in DOORS:
        moves[a, b] = moves[b, a] = True
    moves[EXIT] = False
    rewards = np.zeros((6, 6))
    rewards[4, EXIT] = 100.0
    return moves, rewards


def optimal_q(moves: np.ndarray, rewards: np.ndarray, gamma: float = GAMMA, sweeps: int = 50) -> np.ndarray:
    """The fixed point of the Bellman equation ``Q(s, a) = r + gamma max_a' Q(s', a')`` (the exit's values
    are 0), by Q-iteration in NumPy: the reference the learnt matrix must reach. Impossible moves are 0."""
    q = np.zeros_like(rewards)
    for _ in range(sweeps):
        best = np.where(moves, q, -np.inf).max(axis=1)
        best[EXIT] = 0.0
        q = np.where(moves, rewards + gamma * best[None, :], 0.0)
    return q


@fnx.jit(static_argnames=("steps",))
def q_learning(key, moves, rewards, steps: int):
    """``steps`` moves of an agent exploring at random (uniformly among the doors of its state; off-policy),
    each updating ``Q(s, a) <- r + gamma max_a' Q(a, a')`` (the book's update, learning rate 1; a = the
    state moved to); reaching the exit starts a new episode from a random state. Returns Q (6, 6) and the
    sum of Q's entries after every step."""
    def step(carry, step_key):
        q, state = carry
        move_key, start_key = fnx.random.split(step_key)
        action = fnx.random.categorical(move_key, fnp.where(moves[state], 0.0, -fnp.inf))
        best_next = fnp.where(action == EXIT, 0.0, fnp.max(fnp.where(moves[action], q[action], -fnp.inf)))
        q = q.at[state, action].set(rewards[state, action] + GAMMA * best_next)
        restart = fnx.random.randint(start_key, (), 0, EXIT)
        return (q, fnp.where(action == EXIT, restart, action)), fnp.sum(q)

    (q, _), totals = lax.scan(step, (fnp.zeros(rewards.shape), fnp.asarray(0)), fnx.random.split(key, steps))
    return q, totals


def greedy_path(q: np.ndarray, moves: np.ndarray, start: int = 0) -> list[int]:
    """The states visited from ``start`` taking the best move by ``q`` until the exit (at most 6 moves)."""
    path = [start]
    while path[-1] != EXIT and len(path) <= 6:
        path.append(int(np.argmax(np.where(moves[path[-1]], q[path[-1]], -np.inf))))
    return path


MOVES, REWARDS = graph()


@listing("bourez", "11a", "Tabular Q-learning on a six-state graph", kind="trend", figure=("distance",),
         expect={"distance": Falls(1e-9), "q": Value(optimal_q(MOVES, REWARDS), rtol=1e-12),
                 "greedy_path": Value([0, 3, 4, 5])})
def listing_11a(context):
    """Chapter 11's Q-learning: rows of Q are states, columns the states moved to; the reward is 100 for
    leaving 4 for the exit 5; the Bellman update with discount 0.8 (the book's value is in a lost figure)
    applied along random walks. The distance of the learnt Q to the Bellman fixed point (computed by
    Q-iteration; the L1 distance is the difference of the sums, since Q grows from zeros) falls to 0: Q
    equals it to 1e-12 (100 for 4 -> 5, 80 for 3 -> 4, 64 for 0 -> 3 ...), and the greedy walk from the
    entrance is 0 -> 3 -> 4 -> 5 (1,000 steps; with --quick, 500)."""
    q, totals = q_learning(fnx.random.key(11), MOVES, REWARDS, steps=500 if context.quick else 1000)
    q = np.asarray(q)
    target = optimal_q(MOVES, REWARDS).sum()
    return {"distance": np.abs(target - np.asarray(totals)), "q": q, "greedy_path": greedy_path(q, MOVES)}



# -- CartPole and deep Q-learning ------------------------------------------------------------------------

GRAVITY, CART, POLE, HALF_LENGTH, FORCE, TAU = 9.8, 1.0, 0.1, 0.5, 10.0, 0.02
X_LIMIT, ANGLE_LIMIT, MAX_STEPS = 2.4, 12 * 2 * np.pi / 360, 200


def cartpole_reset(key):
    """A start state (x, x_dot, theta, theta_dot), each uniform in +-0.05 (Gym's CartPole)."""
    return fnx.random.uniform(key, (4,), minval=-0.05, maxval=0.05)


def cartpole_step(state, action):
    """One 0.02 s Euler step of the cart-pole (Barto, Sutton and Anderson 1983, with Gym's constants) pushed
    left (action 0) or right (1) with 10 N; returns the new state and whether the pole fell or the cart left
    the track (|theta| > 12 degrees, |x| > 2.4)."""
    x, x_dot, theta, theta_dot = state[0], state[1], state[2], state[3]
    force = fnp.where(action == 1, FORCE, -FORCE)
    cos, sin = fnp.cos(theta), fnp.sin(theta)
    total, pole_moment = CART + POLE, POLE * HALF_LENGTH
    temp = (force + pole_moment * theta_dot ** 2 * sin) / total
    theta_acc = (GRAVITY * sin - cos * temp) / (HALF_LENGTH * (4.0 / 3.0 - POLE * cos ** 2 / total))
    x_acc = temp - pole_moment * theta_acc * cos / total
    new = fnp.stack([x + TAU * x_dot, x_dot + TAU * x_acc, theta + TAU * theta_dot, theta_dot + TAU * theta_acc])
    return new, (fnp.abs(new[0]) > X_LIMIT) | (fnp.abs(new[2]) > ANGLE_LIMIT)


Q_NET = nn.serial(nn.layer(nn.dense, 4, 64), nn.relu, nn.layer(nn.dense, 64, 64), nn.relu, nn.layer(nn.dense, 64, 2))


def greedy_return(scores, starts):
    """The mean number of steps (the return: reward 1 per step) the greedy policy keeps the pole up from each
    of ``starts`` (n, 4), at most 200 (CartPole-v0's limit); ``scores(states)`` (n, 2) ranks the actions
    (Q-values, or a policy's logits)."""
    def step(carry, _):
        states, alive = carry
        states, fell = fnx.vmap(cartpole_step)(states, fnp.argmax(scores(states), axis=-1))
        return (states, alive & ~fell), alive
    _, alive = lax.scan(step, (starts, fnp.ones(starts.shape[0], bool)), None, length=MAX_STEPS)
    return fnp.mean(fnp.sum(alive, axis=0))


def cartpoles_step(states, steps, actions, key):
    """``cartpole_step`` on every cart-pole (n, 4); the ones that fell or reached 200 steps restart from
    ``cartpole_reset``. Returns the states the actions led to, which fell, and the states and step counts to
    go on from."""
    new, fell = fnx.vmap(cartpole_step)(states, actions)
    steps = steps + 1
    restart = fell | (steps >= MAX_STEPS)
    fresh = fnx.vmap(cartpole_reset)(fnx.random.split(key, states.shape[0]))
    return new, fell, fnp.where(restart[:, None], fresh, new), fnp.where(restart, 0, steps)


@fnx.jit(static_argnames=("iterations", "every", "envs", "memory", "batch", "target_every"))
def deep_q_learning(key, iterations: int, every: int, envs: int = 16, memory: int = 4096, batch: int = 64,
                    target_every: int = 50, gamma: float = 0.99):
    """DQN (Mnih et al. 2015) on ``envs`` cart-poles stepped together (the book's parallel actors): each
    iteration acts epsilon-greedily (epsilon from 1 down to 0.05 over the first half), stores the ``envs``
    transitions in a replay memory (a ring of ``memory``), and takes one Adam step on a batch from it with the
    target ``r + gamma max_a' Q_target(s', a')`` held fixed (``stop_gradient``; 0 after a fall) and the
    Huber loss; the target network copies the weights every ``target_every`` iterations. Returns the greedy
    return from 32 fixed starts before training and after every ``every`` iterations."""
    k_init, k_starts, k_eval, k_run = fnx.random.split(key, 4)
    params = Q_NET.init(k_init)
    opt = optim.adam(2e-3)
    starts = fnx.vmap(cartpole_reset)(fnx.random.split(k_eval, 32))
    slots = {"s": fnp.zeros((memory, 4)), "a": fnp.zeros(memory, int), "s2": fnp.zeros((memory, 4)),
             "fell": fnp.zeros(memory, bool)}

    def td_loss(params, target, batch_):
        best_next = fnp.max(Q_NET.apply(target, batch_["s2"]), axis=-1)
        goal = lax.stop_gradient(1.0 + gamma * fnp.where(batch_["fell"], 0.0, best_next))
        q = fnp.take_along_axis(Q_NET.apply(params, batch_["s"]), batch_["a"][:, None], axis=1)[:, 0]
        return nn.huber(q, goal)

    def iteration(carry, t):
        params, target, opt_state, states, steps, slots, key = carry
        key, k_explore, k_random, k_reset, k_sample = fnx.random.split(key, 5)
        epsilon = fnp.maximum(0.05, 1.0 - t * (1.9 / iterations))
        greedy = fnp.argmax(Q_NET.apply(params, states), axis=-1)
        explore = fnx.random.uniform(k_explore, (envs,)) < epsilon
        actions = fnp.where(explore, fnx.random.randint(k_random, (envs,), 0, 2), greedy)
        new_states, fell, next_states, steps = cartpoles_step(states, steps, actions, k_reset)
        where = (t * envs + fnp.arange(envs)) % memory
        slots = {"s": slots["s"].at[where].set(states), "a": slots["a"].at[where].set(actions),
                 "s2": slots["s2"].at[where].set(new_states), "fell": slots["fell"].at[where].set(fell)}
        pick = fnx.random.randint(k_sample, (batch,), 0, fnp.minimum((t + 1) * envs, memory))
        grads = fnx.grad(td_loss)(params, target, fnx.tree_map(lambda a: a[pick], slots))
        updates, opt_state = opt.update(grads, opt_state, params)
        params = optim.apply_updates(params, updates)
        target = fnx.tree_map(lambda p, q: fnp.where(t % target_every == 0, p, q), params, target)
        return (params, target, opt_state, next_states, steps, slots, key), None

    def chunk(carry, first):
        carry, _ = lax.scan(iteration, carry, first + fnp.arange(every))
        return carry, greedy_return(lambda x: Q_NET.apply(carry[0], x), starts)

    states = fnx.vmap(cartpole_reset)(fnx.random.split(k_starts, envs))
    carry = (params, params, opt.init(params), states, fnp.zeros(envs, int), slots, k_run)
    _, returns = lax.scan(chunk, carry, fnp.arange(0, iterations, every))
    return fnp.concatenate([greedy_return(lambda x: Q_NET.apply(params, x), starts)[None], returns])


TRUNK = nn.serial(nn.layer(nn.dense, 4, 64), nn.relu)
POLICY, VALUE = nn.layer(nn.dense, 64, 2), nn.layer(nn.dense, 64, 1)


def actor_critic(params, states):
    """The book's ``build_networks`` for a state vector: a shared hidden layer, a policy head (action logits)
    and a value head; returns (logits (n, 2), values (n,))."""
    hidden = TRUNK.apply(params["trunk"], states)
    return POLICY.apply(params["policy"], hidden), VALUE.apply(params["value"], hidden)[..., 0]


def actor_critic_loss(params, states, actions, returns, beta: float = 0.01):
    """The chapter's losses, averaged: the policy's ``-log pi(a|s) * advantage`` (the advantage
    ``R - V(s)`` held fixed) minus ``beta`` times its entropy, plus the value's ``(R - V(s))**2 / 2``."""
    logits, values = actor_critic(params, states)
    log_p = nn.log_softmax(logits)
    chosen = fnp.take_along_axis(log_p, actions[..., None], axis=-1)[..., 0]
    entropy = -fnp.sum(fnp.exp(log_p) * log_p, axis=-1)
    advantage = lax.stop_gradient(returns - values)
    return fnp.mean(-chosen * advantage - beta * entropy + 0.5 * (returns - values) ** 2)


@fnx.jit(static_argnames=("updates", "every", "envs", "n_step"))
def advantage_actor_critic(key, updates: int, every: int, envs: int = 16, n_step: int = 5, gamma: float = 0.99):
    """A3C (Mnih et al. 2016) made synchronous (A2C): ``envs`` cart-poles (the book's 16 processes) each act
    ``n_step`` times by sampling the policy, then one update (global norm clipped to 5, Adam 0.003) on the
    n-step returns ``R = r + gamma R`` computed backwards from the value of the last state (0 after a fall),
    as the book's loop. Returns the greedy policy's return from 32 fixed starts before training and after
    every ``every`` updates."""
    k_init, k_starts, k_eval, k_run = fnx.random.split(key, 4)
    keys = fnx.random.split(k_init, 3)
    params = {"trunk": TRUNK.init(keys[0]), "policy": POLICY.init(keys[1]), "value": VALUE.init(keys[2])}
    opt = optim.chain(optim.clip_by_global_norm(5.0), optim.adam(3e-3))
    starts = fnx.vmap(cartpole_reset)(fnx.random.split(k_eval, 32))

    def act(carry, key):
        params, states, steps = carry
        k_act, k_reset = fnx.random.split(key)
        actions = fnx.random.categorical(k_act, actor_critic(params, states)[0])
        _, fell, states_next, steps = cartpoles_step(states, steps, actions, k_reset)
        return (params, states_next, steps), (states, actions, fell)

    def discount(later, fell):
        value = 1.0 + gamma * fnp.where(fell, 0.0, later)
        return value, value

    def update(carry, key):
        params, opt_state, states, steps = carry
        (_, states, steps), (seen, actions, fell) = lax.scan(act, (params, states, steps),
                                                              fnx.random.split(key, n_step))
        last = lax.stop_gradient(actor_critic(params, states)[1])
        _, returns = lax.scan(discount, last, fell, reverse=True)
        step, opt_state = opt.update(fnx.grad(actor_critic_loss)(params, seen, actions, returns), opt_state, params)
        return (optim.apply_updates(params, step), opt_state, states, steps), None

    def chunk(carry, key):
        carry, _ = lax.scan(update, carry, fnx.random.split(key, every))
        return carry, greedy_return(lambda x: actor_critic(carry[0], x)[0], starts)

    states = fnx.vmap(cartpole_reset)(fnx.random.split(k_starts, envs))
    carry = (params, opt.init(params), states, fnp.zeros(envs, int))
    _, returns = lax.scan(chunk, carry, fnx.random.split(k_run, updates // every))
    return fnp.concatenate([greedy_return(lambda x: actor_critic(params, x)[0], starts)[None], returns])


@listing("bourez", "11b", "Deep Q-learning and A3C on a cart-pole written in fnx", kind="trend",
         data="OpenAI Gym (CartPole-v0, Atari Breakout-v0)", stand_in="CartPole's equations as fnx functions",
         figure=("greedy_return", "a2c_greedy_return"),
         expect={"return_before": Below("best_return"), "best_return": Between(100.0, 200.0),
                 "a2c_return_before": Below("a2c_best_return"), "a2c_best_return": Between(100.0, 200.0)})
def listing_11b(context):
    """Chapter 11's deep Q-network: a network maps the state to the value of each action and is fitted to the
    Bellman target computed by a frozen copy (the target network), from transitions replayed out of a memory,
    acting epsilon-greedily. The book trains an Atari agent for 24 hours (A3C, 16 processes) and prints no
    score; here CartPole's dynamics are written in fnx (no Gym) and 16 cart-poles run side by side. The
    greedy policy's return (steps the pole stays up, at most 200; about 10 untrained) is evaluated four times
    during training and must reach at least 100. DQN's return oscillates as it learns (the quick run's
    evaluations: 10, 84, 63, 19, 186; the full run's: 10, 89, 115, 200, 198), so the check holds the best
    evaluated policy, the one an agent would keep (4,000 iterations; with --quick, 2,000). Adam (0.002)
    replaces the book's RMSProp. The book's A3C, made synchronous (``advantage_actor_critic``: policy and
    value heads, n-step returns, entropy bonus), is held to the same rule (1,200 updates of 16 x 5 steps;
    with --quick, 600: 13, 9, 53, 200, 133)."""
    iterations = 2000 if context.quick else 4000
    returns = np.asarray(deep_q_learning(fnx.random.key(12), iterations, every=iterations // 4))
    a2c = np.asarray(advantage_actor_critic(fnx.random.key(13), iterations * 3 // 10, every=iterations * 3 // 40))
    return {"greedy_return": returns, "return_before": returns[0], "best_return": returns[1:].max(),
            "a2c_greedy_return": a2c, "a2c_return_before": a2c[0], "a2c_best_return": a2c[1:].max()}
