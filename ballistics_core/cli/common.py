"""Shared CLI plumbing: one-line errors and a non-zero exit instead of tracebacks."""

from __future__ import annotations

import functools
import sys
from typing import Callable, TypeVar

import typer

from ballistics_core.errors import BallisticsError

F = TypeVar("F", bound=Callable)


def fail(message: str, code: int = 2) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def guarded(func: F) -> F:
    """Turn expected failures (bad files, bad options) into ``error: ...`` and exit 2."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except BallisticsError as exc:
            fail(str(exc))
        except FileNotFoundError as exc:
            fail(f"file not found: {exc.filename or exc}")
        except IsADirectoryError as exc:
            fail(f"is a directory: {exc.filename or exc}")
        except PermissionError as exc:
            fail(f"permission denied: {exc.filename or exc}")
        except MemoryError:
            fail("out of memory while processing the input")
        except KeyboardInterrupt:
            typer.echo("interrupted", err=True)
            sys.exit(130)

    return wrapper  # type: ignore[return-value]
