"""python -m fnx book: list the books' listings, or run a selection of them.

    python -m fnx book                       # list books, chapters and listings
    python -m fnx book --book ketkar --list  # list one book's
    python -m fnx book --book ketkar --chapter 4
    python -m fnx book --listing ketkar:4-6 --listing buduma:E24
    python -m fnx book --all --quick         # every listing, trend units kept short
"""
from __future__ import annotations

import argparse
import sys

from ..progress import available
from .registry import BOOKS, Listing, RunContext, listings
from .runner import run_all, summary


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m fnx book", description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--book", choices=list(BOOKS), help="only this book's listings")
    parser.add_argument("--chapter", type=int, help="only this chapter (with --book)")
    parser.add_argument("--listing", action="append", default=[], metavar="BOOK:ID",
                        help="one listing, e.g. ketkar:4-6 (repeatable)")
    parser.add_argument("--all", action="store_true", help="run every listing")
    parser.add_argument("--quick", action="store_true", help="keep trend units short")
    parser.add_argument("--list", action="store_true", help="list the selection instead of running it")
    parser.add_argument("--data", metavar="DIR", help="directory with external data files (MNIST, GloVe ...); "
                        "without it those listings run on their stand-ins")
    parser.add_argument("--figures", default="book-figures", metavar="DIR",
                        help="where figures go ('' for none; default %(default)s)")
    return parser


def _select(args: argparse.Namespace) -> list[Listing]:
    if args.listing:
        chosen = []
        for name in args.listing:
            book, _, id = name.partition(":")
            found = listings(book, ids=(id,))
            if not found:
                raise SystemExit(f"python -m fnx book: no listing {name!r} (see python -m fnx book --book {book})")
            chosen += found
        return chosen
    if args.chapter is not None and args.book is None:
        raise SystemExit("python -m fnx book: --chapter needs --book")
    return listings(args.book, args.chapter)


def _print_index(entries: list[Listing]) -> None:
    book = chapter = None
    for e in entries:
        if e.book != book:
            book, chapter = e.book, None
            print(f"{book}: {BOOKS[book]}")
        if e.chapter != chapter:
            chapter = e.chapter
            print(f"  chapter {chapter}")
        extra = f" (pending: {', '.join(e.blockers)})" if e.kind == "pending" else f" [{e.kind}{', GPU' * e.gpu}]"
        files = f" ({', '.join(e.data_files)} in --data DIR)" if e.data_files else ""
        data = f" data: {e.data}{files} -> {e.stand_in or 'no stand-in'}" if e.data else ""
        print(f"    {e.id:8s} {e.title}{extra}{data}")


def main(argv: list[str] | None = None) -> int:
    """Run the command; returns 0 when every listing run held its checks, 1 otherwise."""
    args = _parser().parse_args(argv)
    entries = _select(args)
    if args.list or not (args.all or args.book or args.listing):
        _print_index(entries)
        return 0
    print(f"{'listing':16s} | {'book value':40s} | {'fnx value':30s} | status")
    outcomes = run_all(entries, RunContext(quick=args.quick, data_dir=args.data), figures=args.figures or None)
    if args.figures and not available("matplotlib"):
        print("figures: none drawn, matplotlib is not installed (pip install 'fnx[demo]')")
    print(summary(outcomes))
    return 0 if all(o.ok for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
