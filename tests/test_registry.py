"""Every primitive has every rule: shape, eager implementation, jvp, vjp, batching and CPU lowering (or an
explicit mark that it has no derivative). An unfinished primitive fails here by name. The tables checked are
the rule tables themselves (``fnx.core.primitive.rule_tables``), which ``fnx.rules_of`` also reads."""
import os

import pytest

import fnx
import fnx.lower.cpu.compile  # noqa: F401  (registers the CPU rules)
from fnx.core.primitive import primitives, rule_tables
from fnx.lower.product_updates import LOWERING_ONLY

# extension examples, not fnx's own primitives: defined by tests (test_core_ir.py, test_extension.py) and by
# Bourez chapter 13's listings (fnx/books/bourez/ch13.py), which define only the rules the book's ops have
TEST_ONLY = {"test_cube", "axpb", "axpb_kernel", "axpb_no_rules", "bourez_axpb", "bourez_axpb_kernel",
             "test_scaled_shift", "test_host_only"}
ALL = sorted(name for name in primitives if name not in TEST_ONLY)
# made by the lowering after every transform has run (fnx/lower/product_updates.py): never transformed
TRANSFORMED = [name for name in ALL if primitives[name] not in LOWERING_ONLY]


@pytest.mark.parametrize("table, names", [("abstract eval", ALL), ("impl", ALL), ("batching", TRANSFORMED),
                                          ("CPU lowering", ALL)])
def test_every_primitive_has_the_rule(table, names):
    missing = [n for n in names if primitives[n] not in rule_tables[table]]
    assert missing == [], f"primitives without a {table} rule: {missing}"


@pytest.mark.parametrize("table", ["jvp", "vjp"])
def test_every_primitive_is_differentiable_or_marked(table):
    marked = rule_tables["not differentiable"]
    missing = [n for n in TRANSFORMED if primitives[n] not in rule_tables[table] and primitives[n] not in marked]
    assert missing == [], f"primitives without a {table} rule or a not-differentiable mark: {missing}"


def test_every_primitive_has_a_cuda_rule_or_a_documented_host_routing():
    """The CUDA column: a rule in "CUDA lowering", or a mark in "CUDA host routing" (fnx/lower/cuda/host.py)."""
    import importlib.util
    if importlib.util.find_spec("numba_cuda") is None:
        pytest.skip("numba-cuda is not installed (pip install 'fnx[cuda]')")
    import fnx.lower.cuda.compile  # noqa: F401  (registers the CUDA rules; importing needs no GPU)
    lowered, routed = rule_tables["CUDA lowering"], rule_tables["CUDA host routing"]
    missing = [n for n in ALL if primitives[n] not in lowered and primitives[n] not in routed]
    both = [n for n in ALL if primitives[n] in lowered and primitives[n] in routed]
    assert missing == [] and both == [], f"without a CUDA rule or host routing: {missing}; with both: {both}"


def test_rules_of_names_every_layer_with_a_real_source_line():
    sites = fnx.rules_of("tanh")
    cpu_sites = [s.table for s in sites if not s.table.startswith("CUDA")]  # CUDA's if its backend was loaded
    assert cpu_sites == ["abstract eval", "impl", "jvp", "vjp", "batching", "CPU lowering"]
    root = os.path.dirname(os.path.dirname(os.path.abspath(fnx.__file__)))
    row = sites[0].registered
    assert row.startswith("fnx/lax/elementwise.py:")
    for site in sites:
        for position in filter(None, (site.registered, site.code)):
            path, line = position.rsplit(":", 1)
            with open(os.path.join(root, path)) as f:
                assert 1 <= int(line) <= len(f.readlines()), position
    with open(os.path.join(root, "fnx/lax/elementwise.py")) as f:  # the table row of tanh: one line, one file
        assert f.readlines()[int(row.rsplit(":", 1)[1]) - 1].startswith('tanh_p = unary("tanh"')


def test_rules_of_an_unknown_primitive_is_a_clear_error():
    with pytest.raises(KeyError, match="no primitive named 'tanhh'"):
        fnx.rules_of("tanhh")
