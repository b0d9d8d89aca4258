"""Ketkar, *Deep Learning with Python* (Apress, 2017): catalog ../shared/books/seed-000-ketkar.md."""
