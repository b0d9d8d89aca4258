"""Call primitives: an equation that holds a whole jaxpr and computes its outputs.

``jit`` is a nested jitted function (its compiled code, when ``fnx.jit`` has made it, is its eager value:
``fnx.transforms.jit`` sets that implementation); ``custom_jvp_call`` and ``custom_vjp_call`` hold a function
whose derivative the user gave (``fnx.custom_jvp``, ``fnx.custom_vjp``). Their shape is the jaxpr's, and each
transform and backend registers its own rule for them, as for any primitive.
"""
from __future__ import annotations

from ..core.primitive import def_primitive
from ..core.tracing import eval_jaxpr_numpy


def _jit_abstract_eval(*avals, jaxpr, name):
    return jaxpr.out_avals


def _jit_impl(*args, jaxpr, name):
    return eval_jaxpr_numpy(jaxpr, *args)


def _custom_abstract_eval(*avals, fun_jaxpr, num_consts, in_tree, out_tree, **rules):
    return fun_jaxpr.out_avals


def _custom_impl(*args, fun_jaxpr, num_consts, in_tree, out_tree, **rules):
    return eval_jaxpr_numpy(fun_jaxpr, *args)


jit_p = def_primitive("jit", _jit_abstract_eval, _jit_impl, multiple_results=True)
custom_jvp_call_p = def_primitive("custom_jvp_call", _custom_abstract_eval, _custom_impl, multiple_results=True)
custom_vjp_call_p = def_primitive("custom_vjp_call", _custom_abstract_eval, _custom_impl, multiple_results=True)
