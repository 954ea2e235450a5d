"""``python -m service.cli``: the ``ballistics`` command."""

from service.cli import main

main()
