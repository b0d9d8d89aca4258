"""Every primitive has every rule: shape, eager implementation, jvp, vjp, batching and CPU lowering (or an
explicit mark that it has no derivative). An unfinished primitive fails here by name."""
import pytest

import fnx  # noqa: F401  (registers every primitive and rule)
from fnx.core import primitive
from fnx.transforms.autodiff.engine import jvp_rules, nondifferentiable, vjp_rules
from fnx.lower.cpu.codegen import cpu_rules
from fnx.lower.product_updates import LOWERING_ONLY
from fnx.transforms.batching.engine import batching_rules

TEST_ONLY = {"test_cube"}  # defined by tests/test_core_ir.py
ALL = sorted(name for name in primitive.primitives if name not in TEST_ONLY)
# made by the lowering after every transform has run (fnx/lower/product_updates.py): never transformed
TRANSFORMED = [name for name in ALL if primitive.primitives[name] not in LOWERING_ONLY]


@pytest.mark.parametrize("table, what, names", [
    (primitive.abstract_eval_rules, "abstract eval", ALL), (primitive.impl_rules, "impl", ALL),
    (batching_rules, "batching", TRANSFORMED), (cpu_rules, "CPU lowering", ALL)])
def test_every_primitive_has_the_rule(table, what, names):
    missing = [n for n in names if primitive.primitives[n] not in table]
    assert missing == [], f"primitives without a {what} rule: {missing}"


@pytest.mark.parametrize("table, what", [(jvp_rules, "jvp"), (vjp_rules, "vjp")])
def test_every_primitive_is_differentiable_or_marked(table, what):
    missing = [n for n in TRANSFORMED if primitive.primitives[n] not in table and primitive.primitives[n] not in
               nondifferentiable]
    assert missing == [], f"primitives without a {what} rule or a not-differentiable mark: {missing}"
