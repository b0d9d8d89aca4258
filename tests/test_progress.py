"""fnx.progress: the progress bar (tqdm when asked and installed, plain lines otherwise) and the figure."""
from __future__ import annotations

import sys

import numpy as np
import pytest

from fnx import progress
from fnx.progress import Progress, save_training_figure


def test_without_a_bar_lines_are_printed(capsys):
    with Progress(4, "steps", enabled=False) as bar:
        for i in range(4):
            bar.update(loss=1.0 / (i + 1))
        bar.write("half way")
    assert capsys.readouterr().out == "half way\n"


def test_a_tqdm_bar_counts_steps_and_shows_values(capsys):
    pytest.importorskip("tqdm")
    with Progress(3, "steps", enabled=True) as bar:
        for _ in range(3):
            bar.update(loss=0.25)
        assert bar._bar.n == 3
        bar.write("a line")
    captured = capsys.readouterr()
    assert "a line" in captured.out and "loss=0.25" in captured.err and "3/3" in captured.err


def test_unavailable_libraries_are_reported_not_imported(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "tqdm", None)
    assert not progress.available("matplotlib") and not progress.available("tqdm")
    assert save_training_figure(str(tmp_path / "f.png"), {"loss": [1.0, 0.5]}) is None
    with Progress(2, enabled=True) as bar:  # no tqdm: no bar, no error
        bar.update()
        assert bar._bar is None


def test_figure_is_a_png_with_curves_and_images(tmp_path):
    pytest.importorskip("matplotlib")
    path = save_training_figure(str(tmp_path / "f.png"), {"train": [1.0, 0.4, 0.2], "test": [1.1, 0.6, 0.5]},
                                [np.eye(8), np.ones((8, 8))], ["a", "b"], title="t")
    assert path == str(tmp_path / "f.png")
    data = (tmp_path / "f.png").read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000
