"""LazyProgrammer, *Deep Learning in Python* (2016): catalog ../shared/books/seed-001-004.md, part C."""
