"""``python -m analyzer``: the same as the ``analyze`` command."""

from .cli import main

main(prog_name="analyze")
