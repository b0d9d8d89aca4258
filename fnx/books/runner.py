"""Run book listings and judge them: ``run_listing`` computes one unit and compares it with its checks
(an ``Outcome``), ``run_all`` runs a selection with progress and figures, ``summary`` counts the outcomes.

Statuses: ``exact``, ``tolerance``, ``trend met``, ``deviates`` (the listing's kind, when every check holds),
``stand-in`` (the book's numbers need a data file the user has not given: the unit ran on its stand-in and
held the stand-in's checks), ``needs GPU`` (a GPU unit where fnx finds no GPU, real or simulated),
``FAILED`` (a check does not hold), ``error`` (the unit raised), ``pending`` (waits on a missing feature).
"""
from __future__ import annotations

import collections
import dataclasses
import os
import time
import traceback
from typing import Any, Iterable, Mapping

import numpy as np

from ..progress import Progress, available, save_training_figure
from .checks import Check
from .registry import Listing, RunContext

STATUS_OF_KIND = {"exact": "exact", "tolerance": "tolerance", "trend": "trend met", "deviates": "deviates"}
NOT_RUN = ("pending", "needs GPU")  # statuses of units that did not run, which are not failures either


@dataclasses.dataclass
class Outcome:
    """One listing's run: ``status``, the values it computed, the names of the checks that failed, the
    seconds it took, the figure written (or why none), the error text when it raised, and whether it ran on
    its stand-in for a data file it did not find."""

    listing: Listing
    status: str
    values: Mapping[str, Any]
    failed: tuple[str, ...] = ()
    seconds: float = 0.0
    figure: str = ""
    error: str = ""
    on_stand_in: bool = False

    @property
    def ok(self) -> bool:
        """Whether every check held (or the listing did not run: pending, or needing a GPU)."""
        return self.status not in ("FAILED", "error")

    @property
    def checks(self) -> Mapping[str, Check]:
        """The checks the run was judged by: the stand-in's when it ran on its stand-in, else the book's."""
        return self.listing.stand_in_expect if self.on_stand_in else self.listing.expect

    def row(self) -> str:
        """``listing | book value | fnx value | status`` (the first checked value; failed ones first)."""
        e = self.listing
        if self.status in NOT_RUN:
            why = f"pending ({', '.join(e.blockers)})" if self.status == "pending" else "needs GPU"
            return f"{e.name:16s} | {e.title[:40]:40s} | {'-':30s} | {why}"
        checks = self.checks
        deviating = [n for n, c in checks.items() if getattr(c, "printed", None) is not None]
        names = list(self.failed) or deviating or list(checks)
        name = names[0] if names else ""
        book = f"{name}: {checks[name].book}" if name else ""
        value = (checks[name].render(self.values[name]) if name in self.values
                 else (self.error.splitlines() or ["-"])[-1])
        more = f" (+{len(checks) - 1} checks)" if len(checks) > 1 else ""
        note = f"  [{self.figure}]" if self.figure else ""
        return f"{e.name:16s} | {book[:40]:40s} | {value[:30]:30s} | {self.status}{more} {self.seconds:.1f} s{note}"


def _judge(checks: Mapping[str, Check], values: Mapping[str, Any], status: str) -> tuple[str, tuple[str, ...]]:
    failed = tuple(n for n, check in checks.items() if n not in values or not check.holds(values[n], values))
    return ("FAILED" if failed else status), failed


def gpu_available() -> bool:
    """Whether fnx finds a GPU, real or simulated (``NUMBA_ENABLE_CUDASIM=1``); asking imports numba.cuda."""
    from ..lower.devices import all_devices
    return bool(all_devices("gpu"))


def run_listing(entry: Listing, context: RunContext = RunContext()) -> Outcome:
    """Compute ``entry`` and judge it against its checks; never raises (an exception is an ``error``).

    A unit whose ``data_files`` are not all in ``context.data_dir`` runs on its stand-in (``data_dir`` None)
    and is judged by ``stand_in_expect``: status ``stand-in``. A GPU unit without a GPU does not run."""
    if entry.kind == "pending":
        return Outcome(entry, "pending", {})
    if entry.gpu and not gpu_available():
        return Outcome(entry, "needs GPU", {})
    stand_in = bool(entry.data_files) and not all(context.path(name) for name in entry.data_files)
    if stand_in:
        context = dataclasses.replace(context, data_dir=None)
    start = time.perf_counter()
    try:
        values = dict(entry.compute(context))
    except Exception as e:  # a unit's failure is reported in its row, and the run goes on
        first_line = traceback.format_exception_only(e)[0].strip().splitlines()[0]
        return Outcome(entry, "error", {}, seconds=time.perf_counter() - start,
                       error=f"{traceback.format_exc()}\n{first_line}", on_stand_in=stand_in)
    checks, status = ((entry.stand_in_expect, "stand-in") if stand_in else (entry.expect, STATUS_OF_KIND[entry.kind]))
    status, failed = _judge(checks, values, status)
    return Outcome(entry, status, values, failed, time.perf_counter() - start, on_stand_in=stand_in)


def write_figure(outcome: Outcome, directory: str) -> str:
    """Draw the listing's figure values (1-d: curves, 2-d: images) into ``directory``; returns the path, or
    a note saying why there is none."""
    entry = outcome.listing
    curves = {n: outcome.values[n] for n in entry.figure if np.ndim(outcome.values.get(n)) == 1}
    images = [outcome.values[n] for n in entry.figure if np.ndim(outcome.values.get(n)) == 2]
    if not available("matplotlib"):
        return "no figure: matplotlib is not installed"
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, f"{entry.book}-{entry.id.replace('.', '_')}.png")
    written = save_training_figure(path, curves, images, captions=[n for n in entry.figure if n not in curves],
                                   title=f"{entry.name} {entry.title}", xlabel="step", ylabel="")
    if not written:
        return "no figure"
    relative = os.path.relpath(written)
    return written if relative.startswith("..") else relative


def run_all(entries: Iterable[Listing], context: RunContext = RunContext(), figures: str | None = None,
            progress: bool | None = None) -> list[Outcome]:
    """Run ``entries`` in order, printing each row as it finishes (over a progress bar when tqdm is there);
    figures go to the directory ``figures`` (None: none are drawn)."""
    entries = list(entries)
    outcomes = []
    with Progress(len(entries), "book listings", enabled=progress) as bar:
        for entry in entries:
            outcome = run_listing(entry, context)
            if figures is not None and entry.figure and outcome.values:
                outcome.figure = write_figure(outcome, figures)
            bar.write(outcome.row())
            if outcome.status == "error":
                bar.write("    " + outcome.error.strip().splitlines()[-1])
            bar.update(seconds=outcome.seconds)
            outcomes.append(outcome)
    return outcomes


def summary(outcomes: Iterable[Outcome]) -> str:
    """``units run N: exact a, within tolerance b, trend met c, deviating d, on stand-in s, failed e, errors f,
    pending g, needing a GPU h``, then the same counts per book."""
    outcomes = list(outcomes)

    def counts(group: list[Outcome]) -> str:
        c = collections.Counter(o.status for o in group)
        run = len(group) - c["pending"] - c["needs GPU"]
        return (f"units run {run}: exact {c['exact']}, within tolerance {c['tolerance']}, trend met "
                f"{c['trend met']}, deviating {c['deviates']}, on stand-in {c['stand-in']}, failed {c['FAILED']}, "
                f"errors {c['error']}, pending {c['pending']}, needing a GPU {c['needs GPU']}")

    books = collections.defaultdict(list)
    for o in outcomes:
        books[o.listing.book].append(o)
    return "\n".join([counts(outcomes)] + [f"  {book:9s} {counts(group)}" for book, group in books.items()])
