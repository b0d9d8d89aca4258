"""``python -m fnx``: run the demo (see fnx/demo.py). Under ``mpiexec -n N`` every process trains on its
shard of each batch and the first one reports. ``python -m fnx book ...`` lists and runs the books' listings
(see fnx/books/cli.py)."""
import contextlib
import io
import sys

if sys.argv[1:2] == ["book"]:
    from fnx.books.cli import main as book_main
    sys.exit(book_main(sys.argv[2:]))

import fnx.distributed as dist  # noqa: E402
from fnx.demo import cli  # noqa: E402

with contextlib.redirect_stdout(io.StringIO()) if dist.world().rank else contextlib.nullcontext():
    cli()
