"""Bourez, *Deep Learning with Theano* (Packt, 2017): catalog ../shared/books/seed-003-bourez.md."""
