"""``python -m fnx``: run the demo (see fnx/demo.py). Under ``mpiexec -n N`` every process trains on its
shard of each batch and the first one reports."""
import contextlib
import io

import fnx.distributed as dist
from fnx.demo import cli

with contextlib.redirect_stdout(io.StringIO()) if dist.world().rank else contextlib.nullcontext():
    cli()
