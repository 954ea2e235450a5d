"""Firearm intelligence products: guns by type, origin and conversion over time and per
jurisdiction; trafficking routes as a table (JSON, CSV) and a flow chart (PNG)."""

from __future__ import annotations

import csv
import io
from typing import Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel

from service import audit
from service.api.types import errors
from service.api.deps import CaseReader, SessionDep
from service.intel import firearms as products

# Every route of this family may refuse with these (a reason in "detail").
router = APIRouter(prefix="/intel", tags=["intelligence"], responses=errors(400, 403, 404, 409, 422, 423))


class TypeCountRow(BaseModel):
    year: int
    jurisdiction: str
    kind: str
    converted: bool
    origin: str
    count: int


class RouteRow(BaseModel):
    origin: str
    origin_basis: str
    recovered_in: str
    cross_border: bool
    count: int


# The table downloads as CSV with ?format=csv (the JSON rows' columns, a header line first);
# the routes also as a PNG flow chart with ?format=png.
CSV = {"text/csv": {"schema": {"type": "string"}}}
PNG = {"image/png": {"schema": {"type": "string", "format": "binary"}}}


def _csv(rows: list[dict]) -> Response:
    buf = io.StringIO()
    if rows:
        writer = csv.DictWriter(buf, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return Response(buf.getvalue(), media_type="text/csv")


@router.get("/firearms-by-type", response_model=list[TypeCountRow],
            responses={200: {"description": "rows as JSON, or CSV with format=csv", "content": CSV}})
def firearms_by_type(session: SessionDep, user: CaseReader, format: Literal["json", "csv"] = "json"):
    """Counts of recovered guns per year, jurisdiction, type, conversion and country of manufacture."""
    rows = products.as_rows(products.by_type(session))
    audit.record(session, user, "read", "intel", "firearms-by-type", format=format)
    session.commit()
    return _csv(rows) if format == "csv" else rows


@router.get("/trafficking-routes", response_model=list[RouteRow],
            responses={200: {"description": "rows as JSON, CSV with format=csv, a flow chart with format=png",
                             "content": {**CSV, **PNG}}})
def trafficking_routes(session: SessionDep, user: CaseReader, format: Literal["json", "csv", "png"] = "json"):
    """Origin (last legal owner's country, else country of manufacture) to jurisdiction of recovery."""
    items = products.routes(session)
    audit.record(session, user, "read", "intel", "trafficking-routes", format=format)
    session.commit()
    if format == "png":
        return Response(products.flow_chart_png(items), media_type="image/png")
    rows = products.as_rows(items)
    return _csv(rows) if format == "csv" else rows
