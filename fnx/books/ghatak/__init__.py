"""Ghatak, *Deep Learning with R* (Springer, 2019): catalog ../shared/books/seed-002-ghatak.md."""
