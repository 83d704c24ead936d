"""``python -m flows.cli``: the ``ragmask`` command."""

from flows.cli import main

main()
