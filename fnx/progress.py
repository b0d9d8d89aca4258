"""Progress bars and training figures for scripts (the demo, the book runner), with optional libraries.

``Progress`` draws a tqdm bar when tqdm is installed and the output is a terminal or a notebook, and
otherwise stays silent; its ``write`` prints a line either way without breaking the bar. ``save_training_figure``
draws curves and a row of images into a PNG with matplotlib (its object API: no GUI backend), and returns
``None`` when matplotlib is not installed. Both libraries come with ``pip install 'fnx[demo]'``.

>>> with Progress(3, "steps", enabled=False) as bar:
...     for _ in range(3):
...         bar.update(loss=0.5)
"""
from __future__ import annotations

import importlib.util
import os
from typing import Mapping, Sequence

import numpy as np


def available(module: str) -> bool:
    """Whether ``module`` (e.g. ``"tqdm"``, ``"matplotlib"``) can be imported, without importing it."""
    try:
        return importlib.util.find_spec(module) is not None
    except ValueError:  # a module set to None in sys.modules: deliberately unavailable
        return False


class Progress:
    """A progress bar over ``total`` steps: ``update(**postfix)`` after each step, ``write(line)`` to print.

    ``enabled``: True for a bar whenever tqdm is installed, False for none, None (default) for a bar only when
    tqdm is installed and standard error is a terminal (so logs and captured output stay clean).
    """

    def __init__(self, total: int, description: str = "", enabled: bool | None = None):
        if enabled is None:
            enabled = os.isatty(2)
        self._bar = None
        if enabled and available("tqdm"):
            from tqdm.auto import tqdm
            self._bar = tqdm(total=total, desc=description, leave=False)

    def update(self, steps: int = 1, **postfix: float) -> None:
        """Advance by ``steps``; ``postfix`` values (e.g. ``loss=0.31``) are shown beside the bar."""
        if self._bar is not None:
            if postfix:
                self._bar.set_postfix({k: f"{v:.4g}" for k, v in postfix.items()}, refresh=False)
            self._bar.update(steps)

    def write(self, line: str) -> None:
        """Print ``line`` above the bar (or plainly when there is none)."""
        if self._bar is not None:
            self._bar.write(line)
        else:
            print(line, flush=True)

    def close(self) -> None:
        """Remove the bar."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def save_training_figure(path: str, curves: Mapping[str, Sequence[float]], images: Sequence | None = None,
                         captions: Sequence[str] = (), title: str = "", xlabel: str = "epoch",
                         ylabel: str = "loss") -> str | None:
    """Save a PNG at ``path``: the ``curves`` (name -> values per step) on one plot, and under it a row of
    grey ``images`` (2-d arrays) with their ``captions`` (with no curves, the images alone, larger). Returns
    the absolute path written, or None without matplotlib.

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "fig.png")
    >>> save_training_figure(path, {"train": [1.0, 0.5]}) in (None, path)
    True
    """
    if not available("matplotlib"):
        return None
    from matplotlib.figure import Figure  # not pyplot: no GUI backend, no global state, a faster import
    from matplotlib.ticker import MaxNLocator

    images = list(images) if images is not None else []
    columns = max(len(images), 1)
    if not curves:  # images alone: one larger row of them
        figure = Figure(figsize=(max(5.5, 3.0 * columns), 3.5), layout="constrained")
        grid = figure.add_gridspec(1, columns)
        figure.suptitle(title)
    else:
        figure = Figure(figsize=(max(6.0, 1.3 * columns), 5.5 if images else 3.5), layout="constrained")
        grid = figure.add_gridspec(2 if images else 1, columns, height_ratios=[2.2, 1] if images else [1])
        axes = figure.add_subplot(grid[0, :])
        for name, values in curves.items():
            axes.plot(np.arange(1, len(values) + 1), np.asarray(values, dtype=float), marker=".", label=name)
        axes.set(xlabel=xlabel, ylabel=ylabel, title=title)
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.grid(alpha=0.3)
        axes.legend()
    for i, image in enumerate(images):
        cell = figure.add_subplot(grid[-1, i])
        cell.imshow(np.asarray(image), cmap="gray_r", interpolation="nearest")
        cell.set_axis_off()
        if i < len(captions):
            cell.set_title(captions[i], fontsize=8)
    path = os.path.abspath(path)
    figure.savefig(path, dpi=110)
    return path
