"""fnx.nn: stateless neural-network building blocks as pure functions over parameter pytrees.

Activations, losses, regularizers, initializers and metrics are plain functions; a layer is a function
``layer(params, x, ...)`` that carries its initializer as ``layer.init(key, ...) -> params``.
"""
from .activations import *  # noqa: F401,F403
from .losses import *  # noqa: F401,F403
from .regularizers import *  # noqa: F401,F403
from . import initializers  # noqa: F401
from .metrics import *  # noqa: F401,F403
from .layers import *  # noqa: F401,F403
from .normalization import *  # noqa: F401,F403
from .recurrent import *  # noqa: F401,F403
from .combinators import *  # noqa: F401,F403
from .spatial import *  # noqa: F401,F403
