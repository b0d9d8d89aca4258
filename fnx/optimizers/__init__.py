"""fnx.optimizers: pure, composable optimizers over parameter pytrees (the Optax idea).

An optimizer is a ``GradientTransformation``: ``init(params) -> state`` and
``update(grads, state, params=None) -> (updates, state)``; ``apply_updates(params, updates)`` takes the
step. States are pytrees of arrays, so a training step can be jitted, vmapped and differentiated.

>>> import fnx, fnx.numpy as fnp, fnx.optimizers as optim
>>> opt = optim.chain(optim.clip_by_global_norm(1.0), optim.adamw(optim.cosine_decay(1e-2, 1000)))
>>> params = {"W": fnp.ones((2, 2)), "b": fnp.zeros(2)}
>>> state = opt.init(params)
>>> grads = fnx.grad(lambda p: fnp.sum(p["W"] @ p["W"] + p["b"]))(params)
>>> updates, state = opt.update(grads, state, params)
>>> params = optim.apply_updates(params, updates)

Modules: ``base`` (the protocol, ``chain``, ``apply_updates``), ``scaling`` (building blocks),
``clipping``, ``weight_decay``, ``schedules`` and ``optimizers`` (sgd, momentum, ..., adamw).
"""
from .base import *  # noqa: F401,F403
from .scaling import *  # noqa: F401,F403
from .clipping import *  # noqa: F401,F403
from .weight_decay import *  # noqa: F401,F403
from .schedules import *  # noqa: F401,F403
from .optimizers import *  # noqa: F401,F403
