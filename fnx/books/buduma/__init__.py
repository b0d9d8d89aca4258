"""Buduma, *Fundamentals of Deep Learning* (O'Reilly, 2017): catalog ../shared/books/seed-001-004.md, part B."""
