"""Entry point of the ``ballistics`` command.

Each ``cmd_*`` module adds its commands to ``app``; the command names and their
output columns are a stable contract documented in the README.
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
    cmd_report,
    cmd_scan,
    cmd_serve,
    cmd_store,
)

for _module in (cmd_scan, cmd_preprocess, cmd_compare, cmd_store, cmd_bench, cmd_serve, cmd_report, cmd_demo):
    _module.register(app)
__import__("service.cli_admin", fromlist=["register"]).register(app)  # the service's own commands (lazy imports)


@app.command()
def version() -> None:
    """Print the package and algorithm versions."""
    from ballistics_core import ALGORITHM_VERSION, __version__

    typer.echo(f"ballistics-engine {__version__} (algorithm {ALGORITHM_VERSION})")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
