"""The life of a gun: the events of one firearm or one linked series, in date order.

Events of cases the caller does not see in detail keep their date, kind and
jurisdiction, but lose their place name and notes, and their coordinates are
coarsened to city level (:func:`service.intel.places.coarsen`), so a partner learns where a gun was
used without learning the scene.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from service.intel.data import CaseLoad
from service.intel.graph import series_case_sets
from service.intel.places import coarsen
from service.intel.scope import Scope
from service.models import ExhibitKind

class SubjectNotFound(LookupError):
    """No case, series or firearm of that name is visible to the caller."""


@dataclass(frozen=True)
class TimelineRow:
    date_from: date
    date_to: date | None
    event_kind: str
    jurisdiction: str
    case: str
    detail: bool
    location: str
    latitude: float | None
    longitude: float | None
    precision: str
    firearms: tuple[str, ...] = ()


@dataclass(frozen=True)
class Timeline:
    subject: str
    series_key: str
    rows: tuple[TimelineRow, ...]

    @property
    def jurisdictions(self) -> tuple[str, ...]:
        return tuple(sorted({r.jurisdiction for r in self.rows}))

    @property
    def span_days(self) -> int:
        if not self.rows:
            return 0
        return ((self.rows[-1].date_to or self.rows[-1].date_from) - self.rows[0].date_from).days


def _case_set(data: CaseLoad, scope: Scope, series_sets, *, case_id, series_key, firearm):
    sees = lambda cid: cid in data.cases and scope.sees_case(cid, data.case_jurisdiction(cid))  # noqa: E731
    given = [x is not None for x in (case_id, series_key, firearm)]
    if sum(given) != 1:
        raise ValueError("give exactly one of case_id, series_key or firearm")
    if series_key is not None:
        for cases in series_sets:
            if scope.series_key(min(cases)) == series_key and any(sees(c) for c in cases):
                return cases, series_key, f"series {series_key}"
        raise SubjectNotFound("series not found")
    if firearm is not None:
        holders = {
            ex.case_id for ex in data.exhibits.values()
            if ex.kind == ExhibitKind.test_fire and ex.firearm == firearm and sees(ex.case_id)
        }
        if not holders:
            raise SubjectNotFound("firearm not found")
        anchor, subject = min(holders), f"firearm {firearm}"
    else:
        if not sees(case_id):
            raise SubjectNotFound("case not found")
        anchor, subject = case_id, f"case {data.cases[case_id].reference}"
    for cases in series_sets:
        if anchor in cases:
            return cases, scope.series_key(min(cases)), subject
    return frozenset({anchor}), "", subject


def gun_timeline(
    data: CaseLoad,
    scope: Scope,
    *,
    case_id: int | None = None,
    series_key: str | None = None,
    firearm: str | None = None,
    series_sets: list[frozenset[int]] | None = None,
) -> Timeline:
    """Every event of the series holding the given case, series key or seized firearm."""
    if series_sets is None:
        series_sets = series_case_sets(data)
    cases, key, subject = _case_set(data, scope, series_sets, case_id=case_id, series_key=series_key, firearm=firearm)
    rows = []
    for cid in cases:
        detail = scope.sees_case(cid, data.case_jurisdiction(cid))
        label = data.cases[cid].reference if detail else scope.case_ref(cid)
        guns = tuple(sorted(
            (ex.firearm if detail else scope.firearm_ref(ex.firearm))
            for ex in data.exhibits_by_case.get(cid, [])
            if ex.kind == ExhibitKind.test_fire and ex.firearm
        ))
        for ev in data.events_by_case.get(cid, []):
            lat, lon, precision = ev.latitude, ev.longitude, ev.precision.value
            if not detail:
                lat, lon, precision = coarsen(lat, lon, precision)
            rows.append(TimelineRow(
                date_from=ev.date_from,
                date_to=ev.date_to,
                event_kind=ev.kind.value,
                jurisdiction=data.code(data.case_jurisdiction(cid)),
                case=label,
                detail=detail,
                location=ev.location if detail else "",
                latitude=lat,
                longitude=lon,
                precision=precision,
                firearms=guns,
            ))
    rows.sort(key=lambda r: (r.date_from, r.jurisdiction, r.case))
    return Timeline(subject=subject, series_key=key, rows=tuple(rows))


def row_properties(row: TimelineRow) -> dict[str, Any]:
    props = asdict(row)
    props.pop("latitude"), props.pop("longitude")
    props["date_from"] = row.date_from.isoformat()
    props["date_to"] = row.date_to.isoformat() if row.date_to else None
    props["firearms"] = list(row.firearms)
    return props


def to_geojson(timeline: Timeline) -> dict[str, Any]:
    """RFC 7946 FeatureCollection: one Point per located event, and the path between them."""
    features: list[dict[str, Any]] = []
    path = []
    for order, row in enumerate(timeline.rows):
        if row.latitude is None or row.longitude is None:
            continue
        coords = [row.longitude, row.latitude]
        path.append(coords)
        features.append({
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": coords},
            "properties": {"order": order, **row_properties(row)},
        })
    if len(path) >= 2:
        features.append({
            "type": "Feature",
            "geometry": {"type": "LineString", "coordinates": path},
            "properties": {"kind": "path", "series": timeline.series_key},
        })
    return {
        "type": "FeatureCollection",
        "features": features,
        "properties": {"subject": timeline.subject, "series": timeline.series_key},
    }
