"""The one index of book listings: each chapter module registers its listings with ``@listing`` (a unit fnx
computes) or ``pending`` (a unit waiting on a missing feature); ``listings()`` imports every chapter module
of every book and returns them in book, chapter, listing order.

A listing's identity is ``(book, id)`` with the book key and listing id exactly as
``../shared/books/units.py`` spells them (``("ketkar", "4-6")``, ``("buduma", "E24")``,
``("ghatak", "L7-1")``, ``("bourez", "1.27")``).
"""
from __future__ import annotations

import dataclasses
import importlib
import inspect
import os
import pkgutil
import re
from typing import Any, Callable, Mapping

from .checks import Check

BOOKS = {
    "ketkar": "Nikhil Ketkar, Deep Learning with Python: A Hands-on Introduction (Apress, 2017)",
    "buduma": "Nikhil Buduma, Fundamentals of Deep Learning (O'Reilly, 2017)",
    "lazyprog": "LazyProgrammer, Deep Learning in Python (2016)",
    "ghatak": "Abhijit Ghatak, Deep Learning with R (Springer, 2019)",
    "bourez": "Christopher Bourez, Deep Learning with Theano (Packt, 2017)",
}

KINDS = ("exact", "tolerance", "trend", "deviates", "pending")


@dataclasses.dataclass(frozen=True)
class RunContext:
    """What the runner passes to a unit that takes an argument: ``quick`` (keep trend units short),
    ``data_dir`` (where the user keeps external data files; None: use the stand-in)."""

    quick: bool = False
    data_dir: str | None = None

    def path(self, name: str) -> str | None:
        """The file ``name`` (or ``name.gz``) in ``data_dir``; None without it.

        >>> RunContext(data_dir=None).path("glove.6B.100d.txt") is None
        True
        """
        for candidate in (name, name + ".gz"):
            if self.data_dir and os.path.isfile(os.path.join(self.data_dir, candidate)):
                return os.path.join(self.data_dir, candidate)
        return None


@dataclasses.dataclass(frozen=True)
class Listing:
    """One unit of a book.

    ``kind``: ``exact`` (bit-equal to the book), ``tolerance`` (the book prints rounded numbers),
    ``trend`` (a random result: the checks are trends on the stand-in data), ``deviates`` (the book printed
    a wrong value: ``reason`` says why, and the checks hold the right one), ``pending`` (waits on
    ``blockers``, features fnx lacks; ``run`` is None).
    ``expect``: value name -> ``Check``; ``run`` returns a dict holding at least those names.
    ``data``: the external data the book reads ("" for none), ``stand_in``: what fnx runs on instead.
    ``figure``: names of the values drawn as curves (1-d) or images (2-d) when the book shows a figure.
    ``data_files``: the files (in ``--data DIR``; each may also be gzipped, ``name.gz``) the book's numbers
    need; without them the unit runs on its stand-in (``context.data_dir`` None) and ``stand_in_expect`` is
    checked instead (status ``stand-in``, never counted as reproduced).
    ``gpu``: the unit runs on a GPU (fnx's CUDA backend; its simulator counts); without one its status is
    ``needs GPU``.
    """

    book: str
    chapter: int
    id: str
    title: str
    kind: str
    expect: Mapping[str, Check]
    run: Callable[..., Mapping[str, Any]] | None
    reason: str = ""
    data: str = ""
    stand_in: str = ""
    figure: tuple[str, ...] = ()
    blockers: tuple[str, ...] = ()
    data_files: tuple[str, ...] = ()
    stand_in_expect: Mapping[str, Check] = dataclasses.field(default_factory=dict)
    gpu: bool = False

    @property
    def name(self) -> str:
        """``book:id``, e.g. ``ketkar:4-6``."""
        return f"{self.book}:{self.id}"

    def compute(self, context: RunContext) -> Mapping[str, Any]:
        """The unit's values (``run(context)`` when it takes an argument, else ``run()``)."""
        if self.run is None:
            raise RuntimeError(f"{self.name} is pending on {', '.join(self.blockers)}")
        takes_context = bool(inspect.signature(self.run).parameters)
        return self.run(context) if takes_context else self.run()


_REGISTRY: dict[tuple[str, str], Listing] = {}


def _chapter_of(module: str) -> int:
    match = re.search(r"\.ch(\d+)$", module)
    if match is None:
        raise ValueError(f"book units live in modules named fnx.books.<book>.chNN, not {module}")
    return int(match.group(1))


def _add(entry: Listing) -> None:
    if entry.book not in BOOKS:
        raise ValueError(f"unknown book {entry.book!r}; books: {', '.join(BOOKS)}")
    if entry.kind not in KINDS:
        raise ValueError(f"{entry.name}: kind {entry.kind!r} is not one of {KINDS}")
    if entry.kind == "deviates" and not entry.reason:
        raise ValueError(f"{entry.name}: a deviating listing needs a reason")
    key = (entry.book, entry.id)
    if key in _REGISTRY and _REGISTRY[key].run is not entry.run:
        raise ValueError(f"{entry.name} is registered twice")
    _REGISTRY[key] = entry


def listing(book: str, id: str, title: str, *, kind: str, expect: Mapping[str, Check], reason: str = "",
            data: str = "", stand_in: str = "", figure: tuple[str, ...] = (), data_files: tuple[str, ...] = (),
            stand_in_expect: Mapping[str, Check] | None = None, gpu: bool = False,
            chapter: int | None = None) -> Callable:
    """Register the decorated function as the unit ``book:id``; the chapter is the module's (``chNN``).
    The keywords are ``Listing``'s fields.
    In ``fnx/books/ketkar/ch04.py``::

        @listing("ketkar", "4-1", "A scalar function", kind="exact", expect={"f": Value(1.6)})
        def listing_4_1():
            return {"f": fnx.jit(lambda a, b, c, d, e: ((a - b + c) * d) / e)(1.0, 2.0, 3.0, 4.0, 5.0)}

    >>> get("ketkar", "4-1").chapter, get("ketkar", "4-1").kind
    (4, 'exact')
    """
    if data_files and stand_in_expect is None:
        raise ValueError(f"{book}:{id}: a unit with data_files needs stand_in_expect (what its stand-in shows)")

    def register(run: Callable) -> Callable:
        _add(Listing(book, chapter if chapter is not None else _chapter_of(run.__module__), id, title, kind,
                     dict(expect), run, reason, data, stand_in, tuple(figure), (), tuple(data_files),
                     dict(stand_in_expect or {}), gpu))
        return run
    return register


def pending(book: str, id: str, title: str, blockers: tuple[str, ...], module: str, *, data: str = "",
            stand_in: str = "", chapter: int | None = None) -> None:
    """Register ``book:id`` as waiting on ``blockers`` (units.py's names: fit, text, ...); ``module`` is
    the calling module's ``__name__`` (it gives the chapter)."""
    _add(Listing(book, chapter if chapter is not None else _chapter_of(module), id, title, "pending", {},
                 None, "", data, stand_in, (), tuple(blockers)))


def _import_all() -> None:
    for book in BOOKS:
        package = importlib.import_module(f"{__package__}.{book}")
        for info in pkgutil.iter_modules(package.__path__):
            if re.fullmatch(r"ch\d+", info.name):
                importlib.import_module(f"{package.__name__}.{info.name}")


def _order(entry: Listing) -> tuple:
    parts = re.findall(r"\d+|\D+", entry.id)
    return (list(BOOKS).index(entry.book), entry.chapter,
            [(0, int(p), "") if p.isdigit() else (1, 0, p) for p in parts])


def listings(book: str | None = None, chapter: int | None = None, ids: tuple[str, ...] = ()) -> list[Listing]:
    """Every registered listing (importing all chapter modules), optionally only ``book``'s, only
    ``chapter`` (with ``book``), only the listings whose id is in ``ids``; in book, chapter, id order."""
    _import_all()
    chosen = [e for e in _REGISTRY.values()
              if (book is None or e.book == book) and (chapter is None or e.chapter == chapter)
              and (not ids or e.id in ids)]
    return sorted(chosen, key=_order)


def get(book: str, id: str) -> Listing:
    """The listing ``book:id``; KeyError naming the book's listings when there is none."""
    _import_all()
    try:
        return _REGISTRY[(book, id)]
    except KeyError:
        known = ", ".join(e.id for e in listings(book)) or "none"
        raise KeyError(f"no listing {book}:{id}; {book} has: {known}") from None
