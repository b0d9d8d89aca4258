"""Automatic differentiation: the engine (forward and reverse mode over jaxprs), the rule tables, the API.

Rules live in one module per family of primitives (``rules_*.py``); each registers into ``jvp_rules`` and
``vjp_rules`` of ``engine``.
"""
from . import rules_control_flow, rules_convolution, rules_elementwise, rules_indexing, rules_linalg  # noqa: F401
from . import rules_reductions, rules_sorting, rules_structural  # noqa: F401
from . import rules_collectives, rules_debugging  # noqa: F401
from .custom import custom_jvp, custom_vjp  # noqa: F401
from .api import grad, hessian, jacfwd, jacobian, jacrev, jvp, linearize, value_and_grad, vjp  # noqa: F401
from .engine import Zero, jvp_rules, nondifferentiable, vjp_rules  # noqa: F401
from .rules_elementwise import stop_gradient  # noqa: F401
