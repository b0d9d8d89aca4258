"""vmap: the batching engine (engine.py) and one module of rules per family of primitives (rules_*.py)."""
from .engine import batch_jaxpr_eval, batching_rules, vmap  # noqa: F401
from . import rules_control_flow, rules_convolution, rules_elementwise, rules_indexing  # noqa: F401  (register
from . import rules_linalg, rules_reductions, rules_sorting, rules_structural  # noqa: F401  the rules)
from . import rules_collectives, rules_debugging  # noqa: F401
