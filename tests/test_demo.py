"""``python -m fnx`` (the README's first command) trains the digits network and reports a good accuracy."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]


def run_demo(*args: str, python: tuple = ("-m", "fnx")) -> str:
    """The output of ``python -m fnx *args`` (run from the repo root, fnx importable even if not installed), in
    the default configuration: its first steps run on NumPy while a worker process compiles them."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    env.pop("FNX_BACKGROUND_COMPILE", None)
    done = subprocess.run([sys.executable, *python, *args], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_demo_trains_to_a_high_accuracy_and_vmap_losses_agree(tmp_path):
    figure = tmp_path / "demo.png"
    out = run_demo("--figure", str(figure))
    accuracy = float(re.search(r"final test accuracy: (\S+)", out).group(1))
    assert accuracy > 0.93
    train_losses = [float(v) for v in re.findall(r"train loss (\S+),", out)]
    assert len(train_losses) == 4 and train_losses == sorted(train_losses, reverse=True)  # it learns
    per_example, batch = map(float, re.search(r"mean of per-example losses (\S+) = batch loss (\S+)", out).groups())
    np.testing.assert_allclose(per_example, batch, rtol=1e-5)
    assert len(re.findall(r"#\d+ label \d loss", out)) == 3
    if "figure: skipped" not in out:  # matplotlib installed (the demo extra): the PNG is where it says
        assert f"figure: {figure}" in out and figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_demo_runs_without_tqdm_and_matplotlib():
    hide = ("import sys, runpy; sys.modules.update(tqdm=None, matplotlib=None); "
            "runpy.run_module('fnx', run_name='__main__')")
    out = run_demo("--epochs", "5", python=("-c", hide))
    assert "epoch  5: train loss" in out and "figure: skipped (matplotlib is not installed" in out
