"""vmap: the batching engine and its rule tables (fnx.transforms.batching.rules)."""
from .engine import batch_jaxpr_eval, batching_rules, vmap  # noqa: F401
from . import rules, rules_arrays, rules_collectives, rules_convolution  # noqa: F401  (register the batching rules)
