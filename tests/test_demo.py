"""``python -m fnx`` runs the demo: it prints the jaxpr and a loss that eager and eval_jaxpr agree on."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np

from fnx.demo import demo_inputs

REPO = Path(__file__).resolve().parents[1]


def run_demo() -> str:
    """The output of ``python -m fnx`` (run from the repo root, fnx importable even if not installed)."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    done = subprocess.run([sys.executable, "-m", "fnx"], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


def numpy_loss() -> float:
    """The demo's loss computed with plain NumPy on the same data and weights."""
    params, x, y = demo_inputs()
    p = {k: np.asarray(v) for k, v in params.items()}
    x, y = np.asarray(x), np.asarray(y)
    prediction = np.tanh(x @ p["w1"] + p["b1"]) @ p["w2"] + p["b2"]
    return float(np.mean((prediction - y) ** 2))


def test_demo_prints_jaxpr_and_matching_losses():
    out = run_demo()
    assert "{ lambda ; " in out and "tanh" in out and "reduce_sum" in out and "in (" in out
    assert "eager and eval_jaxpr agree: True" in out
    eager = float(re.search(r"^eager loss:\s+(\S+)$", out, re.M).group(1))
    traced = float(re.search(r"^eval_jaxpr loss:\s+(\S+)$", out, re.M).group(1))
    expected = numpy_loss()
    assert expected > 0.01  # random weights do not fit the data: a loss of ~0 would hide mistakes
    np.testing.assert_allclose(eager, expected, rtol=1e-12)
    np.testing.assert_allclose(traced, expected, rtol=1e-12)
