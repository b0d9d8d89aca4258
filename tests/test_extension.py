"""The public extension API (fnx/extend.py) on Bourez's AXPB op, ``a * x + b`` with its gradient (Bourez 2017,
chapter 13, a custom Theano op), written both ways: as an elementwise row that fuses like a built-in, and as a
primitive with its own Numba kernel. Each works eagerly and under jit, grad, vmap and scan, compared with
NumPy and with the derivative written out (d/dx = a, d/da = x, d/db = 1)."""
import numba
import numpy as np
import pytest

import fnx
import fnx.numpy as fnp
from fnx.core.avals import ShapedArray
from fnx.core.errors import FnxTypeError
from fnx.extend import def_elementwise, def_primitive
from fnx.lax._rules import same_dtype
from fnx.lower.cpu import program as cpu_program
from helpers import assert_same

# the fused way: one row of the elementwise table
axpb_p = def_elementwise("axpb", 3, lambda x, a, b: a * x + b,
                         [lambda out, x, a, b: a, lambda out, x, a, b: x, lambda out, x, a, b: 1.0],
                         cpu="{1} * {0} + {2}")


# the kernel way: a shape rule, NumPy, a Numba kernel and the derivative and batching rules
def _axpb_eval(x: ShapedArray, a: ShapedArray, b: ShapedArray) -> ShapedArray:
    if a.shape != () or b.shape != ():
        raise FnxTypeError(f"axpb_kernel: a and b must be scalars, got {a} and {b}")
    return ShapedArray(x.shape, same_dtype("axpb_kernel", [x, a, b]))


@numba.njit
def _axpb_kernel(x, a, b):
    out = np.empty_like(x)
    flat, out_flat = x.reshape(-1), out.reshape(-1)
    for i in range(flat.size):
        out_flat[i] = a * flat[i] + b
    return out


def _axpb_jvp(primals, tangents):
    (x, a, b), (tx, ta, tb) = primals, [fnx.transforms.autodiff.engine.instantiate(t) for t in tangents]
    return axpb_kernel_p.bind(x, a, b), a * tx + ta * x + tb


def _axpb_vjp(ct, primals, out):
    x, a, b = primals
    return [a * ct, fnp.sum(ct * x), fnp.sum(ct)]


def _axpb_batching(operands, dims, *, axis_size):
    (x, a, b), (dx, da, db) = operands, dims
    if da is None and db is None:  # the kernel maps over any shape: the batch axis stays where it is
        return axpb_kernel_p.bind(x, a, b), dx
    x = fnx.transforms.batching.engine.batch_to_front(x, dx, axis_size)
    a, b = (fnx.transforms.batching.engine.batch_to_front(v, d, axis_size) for v, d in ((a, da), (b, db)))
    expand = (slice(None),) + (None,) * (x.ndim - 1)
    return a[expand] * x + b[expand], 0


axpb_kernel_p = def_primitive("axpb_kernel", _axpb_eval, lambda x, a, b: a * x + b, jvp=_axpb_jvp,
                              vjp=_axpb_vjp, batching=_axpb_batching, cpu_kernel=_axpb_kernel)

X = np.linspace(-1.0, 2.0, 12).reshape(3, 4)
A, B = 1.5, -0.25


@pytest.fixture(params=[axpb_p, axpb_kernel_p], ids=["fused row", "Numba kernel"])
def prim(request):
    return request.param


def test_eager_and_jit_agree_with_numpy(prim):
    expected = A * X + B
    assert_same(prim.bind(X, A, B), expected)
    f = fnx.jit(lambda x: fnp.tanh(prim.bind(x, A, B)) * 2.0)
    assert_same(f(X), np.tanh(expected) * 2.0)
    assert_same(f(X), np.tanh(expected) * 2.0)  # the compiled tier


def test_grad_in_every_operand_against_the_derivative_written_out(prim):
    def loss(x, a, b):
        return fnp.sum(fnp.sin(prim.bind(x, a, b)))

    gx, ga, gb = fnx.jit(fnx.grad(loss, argnums=(0, 1, 2)))(X, A, B)
    c = np.cos(A * X + B)
    assert_same(gx, A * c)
    assert_same(ga, np.sum(c * X))
    assert_same(gb, np.sum(c))


def test_vmap_against_a_python_loop(prim):
    per_row = fnx.jit(fnx.vmap(lambda x, a: prim.bind(x, a, B), in_axes=(0, 0)))
    a = np.array([0.5, -1.0, 2.0])
    assert_same(per_row(X, a), np.stack([prim.bind(X[i], a[i], B) for i in range(3)]))
    assert_same(fnx.vmap(lambda x: prim.bind(x, A, B))(X), A * X + B)


def test_inside_a_scan_with_its_gradient(prim):
    def run(x):
        def step(c, xi):
            y = prim.bind(xi, A, B)
            return c + fnp.sum(y * y), y
        return fnx.lax.scan(step, 0.0, x)

    total, ys = fnx.jit(run)(X)
    assert_same(ys, A * X + B)
    assert_same(total, np.sum((A * X + B) ** 2))
    assert_same(fnx.jit(fnx.grad(lambda x: run(x)[0]))(X), 2 * (A * X + B) * A)


def test_the_row_fuses_into_one_loop_and_the_kernel_is_called_with_its_fingerprint():
    fused, _ = cpu_program.lower(fnx.make_jaxpr(lambda x: fnp.exp(axpb_p.bind(x, A, B)))(X))
    assert fused.count("for ") == 2 and "np.float64(1.5) * " not in fused  # one 2-d loop nest for both ops
    assert " * " in fused and "vm.exp" in fused
    called, _ = cpu_program.lower(fnx.make_jaxpr(lambda x: axpb_kernel_p.bind(x, A, B))(X))
    assert "uk.axpb_kernel(" in called and "# kernels: axpb_kernel=" in called


def test_rules_of_lists_the_users_rules_at_their_definition():
    tables = {site.table: site for site in fnx.rules_of("axpb_kernel")}
    assert set(tables) == {"abstract eval", "impl", "jvp", "vjp", "batching", "CPU lowering"}
    assert all(site.registered.endswith(f"test_extension.py:{tables['impl'].registered.split(':')[1]}")
               for site in tables.values())
    assert {s.table for s in fnx.rules_of("axpb")} >= {"jvp", "vjp", "batching", "CPU lowering"}


def test_bad_operands_and_missing_rules_are_clear_errors():
    with pytest.raises(FnxTypeError, match="axpb_kernel: a and b must be scalars"):
        fnx.jit(lambda x: axpb_kernel_p.bind(x, x, B))(X)
    no_grad_p = def_primitive("axpb_no_rules", _axpb_eval, lambda x, a, b: a * x + b)
    with pytest.raises(Exception, match="axpb_no_rules"):
        fnx.grad(lambda x: fnp.sum(no_grad_p.bind(x, A, B)))(X)
