"""The ``ballistics`` command: the engine's commands plus the service's.

``ballistics_core.cli.app`` holds the engine's commands and knows nothing of the
service (the layers run one way). This package adds ``serve``, ``audit-verify``,
``report``, ``registry``, ``people``, ``backup``, ``restore`` and ``worker`` to that same Typer app, so there is still one ``ballistics`` command with
the command names the README documents; ``main`` is the installed entry point.
"""

from __future__ import annotations

from ballistics_core.cli.app import app
from service.cli import admin, backup, people, registry, report, serve

for _module in (serve, report, registry, people, backup, admin):
    _module.register(app)


def main() -> None:
    app()


__all__ = ["app", "main"]

if __name__ == "__main__":
    main()
