"""``serial``: stack layers into a network, stax-style, as a pair of pure functions ``(init, apply)``.

A ``Layer`` is a named pair ``(init, apply)`` with every hyperparameter already bound:
``init(key) -> params`` and ``apply(params, x, key=None) -> y``. ``layer(fn, ...)`` makes one from a layer
function; ``serial(...)`` makes one from a list of stages, so serials nest. The stages may be:

* ``layer(nn.dense, 784, 30)``: the keywords that the layer function takes go to each call, the positional
  arguments and the other keywords to its ``init`` (``layer(nn.conv2d, 3, 32, 3, padding="SAME",
  use_bias=False)``);
* any function of x alone: activations, ``nn.flatten``, ``functools.partial(nn.max_pool, window=2)``, or
  ``layer(nn.max_pool, window=2)``; their parameters are the empty tuple ``()``;
* ``layer(nn.dropout, rate=0.5)``: a function taking ``(key, x, ..., train=...)``. It is active only when
  ``apply`` gets a key: ``apply(params, x, key)`` trains, ``apply(params, x)`` evaluates.

The parameters of a serial are a tuple with one entry per stage, so ``count_params``, the optimizers and
``fnx.grad`` see an ordinary pytree::

    init, apply = nn.serial(nn.layer(nn.dense, 784, 30), nn.sigmoid, nn.layer(nn.dense, 30, 10))
    params = init(key)                       # ({"w", "b"}, (), {"w", "b"})
    logits = apply(params, x)

Layers with state besides parameters (``batch_norm``'s running statistics) and recurrent cells do not fit one
``apply(params, x)`` call: call them directly, or write a ``Layer(init, apply)`` by hand for a stage.
"""
from __future__ import annotations

import inspect
from typing import Any, Callable, NamedTuple

from .. import random
from ..core.errors import FnxTypeError


class Layer(NamedTuple):
    """A layer with its hyperparameters bound: ``init(key) -> params``, ``apply(params, x, key=None) -> y``."""
    init: Callable[[Any], Any]
    apply: Callable[..., Any]


def _parameter_names(fn: Callable) -> list:
    try:
        return list(inspect.signature(fn).parameters)
    except (TypeError, ValueError):  # builtins without a signature: treat as functions of x
        return ["x"]


def layer(fn: Callable, *init_args, **kwargs) -> Layer:
    """A ``Layer`` from a layer function and its hyperparameters (see the module docstring for the kinds).

    For ``fn(params, x, ...)`` with ``fn.init`` (the second argument is the input, whatever its name, e.g.
    ``embedding``'s ids): ``init_args`` and the keywords ``fn`` does not take go to ``fn.init``, the keywords
    ``fn`` takes are passed to every call. Stateful layers ``fn(params, state, x)`` and cells
    ``fn(params, carry, x)`` are refused. For ``fn(key, x, ...)`` (dropout) and
    ``fn(x, ...)`` the keywords are passed to every call and the parameters are ``()``.

    >>> import fnx.nn as nn, fnx.numpy as fnp
    >>> init, apply = layer(nn.conv2d, 3, 8, 3, padding="SAME")
    >>> apply(init(random.key(0)), fnp.ones((1, 3, 5, 5))).shape
    (1, 8, 5, 5)
    """
    names = _parameter_names(fn)
    if names[:1] == ["params"] and (len(names) < 2 or names[1] in ("state", "carry")):
        raise FnxTypeError(f"layer: {getattr(fn, '__name__', fn)} takes {names[:3]}; only layers called as "
                           f"fn(params, x, ...) fit a serial stack (call stateful layers and cells directly)")
    if names[:1] == ["params"]:
        if not hasattr(fn, "init"):
            raise FnxTypeError(f"layer: {fn.__name__} takes params but has no .init to make them")
        call_kwargs = {k: v for k, v in kwargs.items() if k in names[2:]}
        init_kwargs = {k: v for k, v in kwargs.items() if k not in call_kwargs}
        return Layer(lambda key: fn.init(key, *init_args, **init_kwargs),
                     lambda params, x, key=None: fn(params, x, **call_kwargs))
    if init_args:
        raise FnxTypeError(f"layer: {getattr(fn, '__name__', fn)} has no parameters, so it takes keyword "
                           f"hyperparameters only, got positional {init_args!r}")
    if names[:1] == ["key"]:
        return Layer(lambda key: (), lambda params, x, key=None: fn(key, x, train=key is not None, **kwargs))
    return Layer(lambda key: (), lambda params, x, key=None: fn(x, **kwargs))


def _stage(stage) -> Layer:
    if isinstance(stage, Layer):
        return stage
    if callable(stage):
        return Layer(lambda key: (), lambda params, x, key=None: stage(x))
    raise FnxTypeError(f"serial: a stage must be a Layer or a function of x, got {type(stage).__name__}")


def _length(params) -> str:
    return f"of length {len(params)}" if isinstance(params, (tuple, list)) else "(not a sequence)"


def serial(*stages) -> Layer:
    """The composition of ``stages`` (first applied first) as one ``Layer(init, apply)``.

    ``init(key)`` splits ``key`` into one key per stage and returns the tuple of their parameters;
    ``apply(params, x, key=None)`` runs the stages in order, handing each its own key when one is given.

    >>> import fnx.nn as nn, fnx.numpy as fnp
    >>> init, apply = serial(layer(nn.dense, 4, 8), nn.relu, layer(nn.dropout, rate=0.5), layer(nn.dense, 8, 2))
    >>> params = init(random.key(0))
    >>> apply(params, fnp.ones((5, 4))).shape                     # evaluation: dropout off
    (5, 2)
    >>> apply(params, fnp.ones((5, 4)), random.key(1)).shape      # training: dropout on
    (5, 2)
    """
    if not stages:
        raise FnxTypeError("serial: needs at least one stage")
    layers = [_stage(s) for s in stages]

    def init(key) -> tuple:
        keys = random.split(key, len(layers))
        return tuple(lay.init(k) for lay, k in zip(layers, keys))

    def apply(params: tuple, x, key=None):
        if not isinstance(params, (tuple, list)) or len(params) != len(layers):
            raise FnxTypeError(f"serial: params must be a tuple with one entry per stage ({len(layers)} stages), "
                               f"got {type(params).__name__} {_length(params)}")
        keys = [None] * len(layers) if key is None else random.split(key, len(layers))
        for lay, p, k in zip(layers, params, keys):
            x = lay.apply(p, x, key=k)
        return x

    return Layer(init, apply)


__all__ = ["Layer", "layer", "serial"]
