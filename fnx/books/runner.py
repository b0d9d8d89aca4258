"""Run book listings and judge them: ``run_listing`` computes one unit and compares it with its checks
(an ``Outcome``), ``run_all`` runs a selection with progress and figures, ``summary`` counts the outcomes.

Statuses: ``exact``, ``tolerance``, ``trend met``, ``deviates`` (the listing's kind, when every check holds),
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
from .registry import Listing, RunContext

STATUS_OF_KIND = {"exact": "exact", "tolerance": "tolerance", "trend": "trend met", "deviates": "deviates"}


@dataclasses.dataclass
class Outcome:
    """One listing's run: ``status``, the values it computed, the names of the checks that failed, the
    seconds it took, the figure written (or why none), and the error text when it raised."""

    listing: Listing
    status: str
    values: Mapping[str, Any]
    failed: tuple[str, ...] = ()
    seconds: float = 0.0
    figure: str = ""
    error: str = ""

    @property
    def ok(self) -> bool:
        """Whether every check held (or the listing is pending)."""
        return self.status not in ("FAILED", "error")

    def row(self) -> str:
        """``listing | book value | fnx value | status`` (the first checked value; failed ones first)."""
        e = self.listing
        if e.kind == "pending":
            return f"{e.name:16s} | {e.title[:40]:40s} | {'-':30s} | pending ({', '.join(e.blockers)})"
        deviating = [n for n, c in e.expect.items() if getattr(c, "printed", None) is not None]
        names = list(self.failed) or deviating or list(e.expect)
        name = names[0] if names else ""
        book = f"{name}: {e.expect[name].book}" if name else ""
        value = (e.expect[name].render(self.values[name]) if name in self.values
                 else (self.error.splitlines() or ["-"])[-1])
        more = f" (+{len(e.expect) - 1} checks)" if len(e.expect) > 1 else ""
        note = f"  [{self.figure}]" if self.figure else ""
        return f"{e.name:16s} | {book[:40]:40s} | {value[:30]:30s} | {self.status}{more} {self.seconds:.1f} s{note}"


def _judge(entry: Listing, values: Mapping[str, Any]) -> tuple[str, tuple[str, ...]]:
    failed = tuple(n for n, check in entry.expect.items() if n not in values or not check.holds(values[n], values))
    return ("FAILED" if failed else STATUS_OF_KIND[entry.kind]), failed


def run_listing(entry: Listing, context: RunContext = RunContext()) -> Outcome:
    """Compute ``entry`` and judge it against its checks; never raises (an exception is an ``error``)."""
    if entry.kind == "pending":
        return Outcome(entry, "pending", {})
    start = time.perf_counter()
    try:
        values = dict(entry.compute(context))
    except Exception as e:  # a unit's failure is reported in its row, and the run goes on
        first_line = traceback.format_exception_only(e)[0].strip().splitlines()[0]
        return Outcome(entry, "error", {}, seconds=time.perf_counter() - start,
                       error=f"{traceback.format_exc()}\n{first_line}")
    status, failed = _judge(entry, values)
    return Outcome(entry, status, values, failed, time.perf_counter() - start)


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
    """``units run N: exact a, within tolerance b, trend met c, deviating d, failed e, errors f, pending g``,
    then the same counts per book."""
    outcomes = list(outcomes)

    def counts(group: list[Outcome]) -> str:
        c = collections.Counter(o.status for o in group)
        run = len(group) - c["pending"]
        return (f"units run {run}: exact {c['exact']}, within tolerance {c['tolerance']}, trend met "
                f"{c['trend met']}, deviating {c['deviates']}, failed {c['FAILED']}, errors {c['error']}, "
                f"pending {c['pending']}")

    books = collections.defaultdict(list)
    for o in outcomes:
        books[o.listing.book].append(o)
    return "\n".join([counts(outcomes)] + [f"  {book:9s} {counts(group)}" for book, group in books.items()])
