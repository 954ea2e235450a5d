"""The engine's commands of the ``ballistics`` command.

Each ``cmd_*`` module adds its commands to ``app``; the command names and their
output columns are a stable contract documented in the README. The service's
commands (``serve``, ``audit-verify``, ``report``) are added by :mod:`service.cli`,
which is the installed entry point: the engine never imports the service.
"""

from __future__ import annotations

import typer

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Open ballistic-intelligence engine: read, preprocess, compare, store and search cartridge-case scans.",
)

from ballistics_core.cli import (  # noqa: E402
    cmd_bench,
    cmd_compare,
    cmd_demo,
    cmd_preprocess,
    cmd_scan,
    cmd_store,
    cmd_validate,
)

for _module in (cmd_scan, cmd_preprocess, cmd_compare, cmd_store, cmd_bench, cmd_demo, cmd_validate):
    _module.register(app)


@app.command()
def version() -> None:
    """Print the package and algorithm versions."""
    from ballistics_core import ALGORITHM_VERSION, __version__

    typer.echo(f"ballistics-engine {__version__} (algorithm {ALGORITHM_VERSION})")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
