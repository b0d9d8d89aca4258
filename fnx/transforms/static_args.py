"""Static arguments named either way: ``jit(f, static_argnames="n")`` must treat ``f(x, 3)`` as ``f(x, n=3)``,
and ``static_argnums=1`` must treat ``f(x, n=3)`` as ``f(x, 3)``, as JAX does."""
from __future__ import annotations

import inspect
from typing import Callable, Sequence

_POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)


def static_both_ways(fun: Callable, argnums: Sequence[int], argnames: Sequence[str]) -> tuple[set, set]:
    """``(argnums, argnames)`` completed from ``fun``'s signature: each static parameter by its position and by
    its name, where it has both (a signature Python cannot read leaves them as given).

    >>> nums, names = static_both_ways(lambda x, n, *, k: 0, [], ["n", "k"])
    >>> nums, sorted(names)
    ({1}, ['k', 'n'])
    """
    nums, names = set(argnums), set(argnames)
    try:
        params = list(inspect.signature(fun).parameters.values())
    except (TypeError, ValueError):
        return nums, names
    positional = [p.name for p in params if p.kind in _POSITIONAL]
    nums |= {i for i, name in enumerate(positional) if name in names}
    names |= {positional[i] for i in nums if 0 <= i < len(positional)
              and params[i].kind == inspect.Parameter.POSITIONAL_OR_KEYWORD}
    return nums, names
