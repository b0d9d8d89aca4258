"""Transforms: each is trace -> rewrite/interpret the jaxpr -> evaluate, driven by rule tables keyed by primitive."""
