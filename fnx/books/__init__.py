"""The five books' listings as runnable pure-function programs on fnx (``python -m fnx book``).

Each book is a subpackage (``ketkar``, ``buduma``, ``lazyprog``, ``ghatak``, ``bourez``) with one module per
chapter (``ch04.py``); each listing is a function that computes what the book computes, registered with
``@listing`` together with the book's printed value(s) and how they are checked. See README.md here for how
to add a listing.

>>> from fnx.books import get, run_listing
>>> run_listing(get("ketkar", "4-1")).status
'exact'
"""
from .checks import Below, Between, Falls, Value
from .registry import BOOKS, Listing, RunContext, get, listing, listings, pending
from .runner import Outcome, run_all, run_listing, summary

__all__ = ["BOOKS", "Below", "Between", "Falls", "Listing", "Outcome", "RunContext", "Value", "get", "listing",
           "listings", "pending", "run_all", "run_listing", "summary"]
