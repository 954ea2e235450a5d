"""Bounded path parameter types shared by the routers."""

from typing import Annotated

from fastapi import Path

# Database ids: a number outside a 64-bit key is refused with 422 before it reaches SQL.
DbId = Annotated[int, Path(ge=1, le=2**63 - 1)]
