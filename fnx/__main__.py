"""``python -m fnx``: run the demo (see fnx/demo.py)."""
from fnx.demo import cli

cli()
