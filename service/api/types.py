"""Bounded request types: every identifier and query number a route accepts.

A number the database cannot hold must be refused before it reaches the database:
an identifier beyond the key column's range makes PostgreSQL raise "integer out of
range" (a 500), and SQLite's driver overflows on anything beyond 64 bits. Every key
column is SQL ``INTEGER`` (32-bit on PostgreSQL), so identifiers are bounded to that
range; a larger or non-positive one is a 422 naming the parameter, never a lookup.

Use ``DbId`` for path parameters, ``QueryDbId`` for optional query filters,
``BodyId`` / ``OptionalBodyId`` for fields of request bodies and ``AfterSeq`` for
the audit log's cursor. The error bodies each route declares are here too
(``ErrorDetail``, ``ValidationProblem`` and :func:`errors`).
"""

from __future__ import annotations

from typing import Annotated, Any

from datetime import date, datetime

from fastapi import Path, Query
from pydantic import BaseModel, BeforeValidator, Field, Strict

#: The largest value of an SQL INTEGER column (PostgreSQL ``int4``): every table's key.
MAX_DB_ID = 2**31 - 1

DbId = Annotated[int, Path(ge=1, le=MAX_DB_ID, description="identifier (1 to 2^31-1)")]
QueryDbId = Annotated[int | None, Query(ge=1, le=MAX_DB_ID, description="identifier (1 to 2^31-1)")]
BodyId = Annotated[int, Strict(), Field(ge=1, le=MAX_DB_ID, description="identifier (1 to 2^31-1)")]
OptionalBodyId = Annotated[
    int | None, Strict(), Field(default=None, ge=1, le=MAX_DB_ID, description="identifier (1 to 2^31-1)")
]
AfterSeq = Annotated[
    int, Query(ge=0, le=MAX_DB_ID, description="return entries with a greater sequence number (0: from the start)")
]


# --- JSON body scalars: what the schema says, not what Python could coerce ---------------
# Pydantic's lax mode would take 0 for false, false for 0.0, "5" for 5 and a number of
# seconds for a date; a request that breaks its schema is refused instead.

JsonBool = Annotated[bool, Strict()]
JsonInt = Annotated[int, Strict()]
# Strict floats still take integers (JSON has one number type), but not booleans or strings.
JsonFloat = Annotated[float, Strict()]


def _iso_date_string(value: object) -> object:
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        raise ValueError("a date must be an ISO 8601 string (YYYY-MM-DD)")
    return value


JsonDate = Annotated[date, BeforeValidator(_iso_date_string)]


def _iso_datetime_string(value: object) -> object:
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        raise ValueError("a date and time must be an ISO 8601 string (YYYY-MM-DDTHH:MM:SS, with a zone)")
    return value


#: A JSON date-time: an ISO 8601 string, never a number of seconds.
JsonDatetime = Annotated[datetime, BeforeValidator(_iso_datetime_string)]


# --- error bodies ------------------------------------------------------------------------


class ErrorDetail(BaseModel):
    """Every refusal: one line saying why."""

    detail: str


class FieldProblem(BaseModel):
    """One invalid field of a request, as FastAPI reports it."""

    loc: list[str | int]
    msg: str
    type: str
    input: Any = None
    ctx: dict[str, Any] | None = None
    url: str | None = None


class ValidationProblem(BaseModel):
    """A 422: either the list of invalid fields, or one line for a rule spanning
    fields or records (an agency of another jurisdiction, a date range backwards)."""

    detail: str | list[FieldProblem]


_DESCRIPTIONS = {
    400: "Malformed request",
    401: "Not signed in, or the token is expired, revoked or forged",
    403: "Signed in, but the role or jurisdiction may not do this",
    404: "No such object, or not visible to the caller",
    409: "Conflicts with the current state (duplicate, wrong state)",
    413: "Upload too large",
    422: "Invalid request: the field(s) named and why",
    423: "Account locked after too many failed sign-ins",
    429: "Too many failed sign-ins from this address",
    500: "Stored file failed its integrity check",
}

#: What every route behind a token can answer besides its own codes (400: a body
#: that is not JSON at all).
AUTHENTICATED = (400, 401, 403, 422)


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route: each status code it can return, with its body schema."""
    return {
        code: {"model": ValidationProblem if code == 422 else ErrorDetail, "description": _DESCRIPTIONS[code]}
        for code in sorted(set(codes))
    }
