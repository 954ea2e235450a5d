"""The life of a gun: the events of one firearm or one linked series, in date order.

Events of cases the caller does not see in detail keep their date, kind and
jurisdiction, but lose their place name and notes, and their coordinates are
coarsened to city level (:func:`service.intel.places.coarsen`), so a partner learns where a gun was
used without learning the scene.

Each firearm of the series whose record's case the caller sees adds its own history: the
steps of its life cycle (``firearm_recovered`` ... ``firearm_destroyed``), the cases
hits linked it to (``firearm_linked``), its trace requests (``trace_sent``, then
``trace_answered`` or ``trace_no_record``, with the jurisdiction that answered) and
its lost-and-stolen record (``stolen_reported`` on the date the register gives,
``stolen_alert`` when the match was raised, ``stolen_alert_acknowledged``). Another
jurisdiction's gun adds nothing until its case is disclosed (a gun record disclosed on
its own after a serial query is named, but its history stays with its case).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from service.intel.data import CaseLoad
from service.intel.graph import series_case_sets
from service.intel import words
from service.intel.guns import (
    Gun, gun_label, gun_node, gun_phrase, gun_shown, guns_by_case, guns_of, history_shown, record_key,
)
from service.intel.places import coarsen
from service.intel.scope import Scope
from service.models import ExhibitKind, TraceStatus

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
    # Rows of a gun's own history: the gun (label, or opaque reference) and what happened.
    firearm: str = ""
    summary: str = ""
    # The same as phrases, for a page to say in its reader's language (``firearms``,
    # ``firearm`` and ``summary`` are their English, as the API and downloads give them).
    firearm_names: tuple = field(default=(), compare=False)
    firearm_name: "words.Phrase | str" = field(default="", compare=False)
    said: "words.Phrase | None" = field(default=None, compare=False)


@dataclass(frozen=True)
class Timeline:
    subject: str
    series_key: str
    rows: tuple[TimelineRow, ...]
    # The firearm a timeline of one firearm record is about, for a page's own title.
    firearm_name: "words.Phrase | str" = field(default="", compare=False)

    @property
    def jurisdictions(self) -> tuple[str, ...]:
        return tuple(sorted({r.jurisdiction for r in self.rows}))

    @property
    def span_days(self) -> int:
        if not self.rows:
            return 0
        return ((self.rows[-1].date_to or self.rows[-1].date_from) - self.rows[0].date_from).days


def _case_set(data: CaseLoad, scope: Scope, series_sets, *, case_id, series_key, firearm, firearm_id=None):
    sees = lambda cid: cid in data.cases and scope.sees_case(cid, data.case_jurisdiction(cid))  # noqa: E731
    given = [x is not None for x in (case_id, series_key, firearm, firearm_id)]
    if sum(given) != 1:
        raise ValueError("give exactly one of case_id, series_key, firearm or firearm_id")
    if series_key is not None:
        for cases in series_sets:
            if scope.series_key(min(cases)) == series_key and any(sees(c) for c in cases):
                return cases, series_key, f"series {series_key}"
        raise SubjectNotFound("series not found")
    if firearm_id is not None:
        record = data.firearms.get(firearm_id)
        gun = guns_of(data).get(record_key(record)) if record is not None else None
        if gun is None or not gun_shown(data, scope, gun):
            raise SubjectNotFound("firearm not found")
        anchor, subject = min(gun.cases), f"firearm {gun_label(gun)}"
    elif firearm is not None:
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


def _gun_history(data: CaseLoad, scope: Scope, gun: Gun, case_label) -> list[TimelineRow]:
    """The rows of one gun's own history (the caller sees the gun in detail)."""
    phrase = gun_phrase(gun)
    name = words.text(phrase)
    rows: list[TimelineRow] = []
    for r in gun.records:  # none for a gun known by free text only
        code = data.code(data.case_jurisdiction(r.case_id))
        home = case_label(r.case_id)

        def row(day, kind, said: words.Phrase, *, case=home, location="", jurisdiction=code):
            rows.append(TimelineRow(date_from=day, date_to=None, event_kind=kind, jurisdiction=jurisdiction,
                                    case=case, detail=True, location=location, latitude=None, longitude=None,
                                    precision="unknown", firearms=(name,), firearm=name, summary=str(said),
                                    firearm_names=(phrase,), firearm_name=phrase, said=said))

        for fe in data.events_by_firearm.get(r.id, []):
            row(fe.at.date(), f"firearm_{fe.status.value}", words.life_cycle_step(fe.status.value),
                location=fe.location)
        for t in data.traces_by_firearm.get(r.id, []):
            partner = data.code(t.partner_jurisdiction_id) if t.partner_jurisdiction_id in data.jurisdictions else ""
            row(t.created_at.date(), "trace_sent",
                words.trace_sent(t.id, t.target.value, partner or t.addressee or "", t.deadline))
            if t.answered_at is not None:
                by = t.answered_by_jurisdiction_id
                by_code = data.code(by) if by in data.jurisdictions else code
                none = t.status == TraceStatus.no_record
                row(t.answered_at.date(), "trace_no_record" if none else "trace_answered",
                    words.trace_answered(t.id, by_code, none), jurisdiction=by_code)
        for a in data.alerts_by_firearm.get(r.id, []):
            if a.date_reported is not None:
                row(a.date_reported, "stolen_reported", words.stolen_reported(a.register_name), location=a.country)
            row(a.created_at.date(), "stolen_alert", words.stolen_match(a.register_name), location=a.country)
            if a.acknowledged_at is not None:
                row(a.acknowledged_at.date(), "stolen_alert_acknowledged",
                    words.alert_acknowledged(a.id, a.register_name))
        for link in data.firearm_links.values():
            if link.firearm_id == r.id and link.case_id in data.cases:
                row(link.created_at.date(), "firearm_linked", words.linked_to_case(case_label(link.case_id), link.hit_id),
                    case=case_label(link.case_id), jurisdiction=data.code(data.case_jurisdiction(link.case_id)))
    return rows


def gun_timeline(
    data: CaseLoad,
    scope: Scope,
    *,
    case_id: int | None = None,
    series_key: str | None = None,
    firearm: str | None = None,
    firearm_id: int | None = None,
    series_sets: list[frozenset[int]] | None = None,
) -> Timeline:
    """Every event of the series holding the given case, series key or firearm (its free
    text, or its record id), and the history of every firearm of it the caller sees."""
    if series_sets is None:
        series_sets = series_case_sets(data)
    cases, key, subject = _case_set(data, scope, series_sets, case_id=case_id, series_key=series_key, firearm=firearm,
                                    firearm_id=firearm_id)
    by_case = guns_by_case(data)
    nodes = {}

    def gun_name(gun: Gun) -> "words.Phrase | str":
        if gun.key not in nodes:
            node, shown = gun_node(data, scope, gun)
            nodes[gun.key] = (gun_phrase(gun) if shown else node, shown)
        return nodes[gun.key][0]

    def case_label(cid: int) -> str:
        return data.cases[cid].reference if scope.sees_case(cid, data.case_jurisdiction(cid)) else scope.case_ref(cid)

    rows = []
    for cid in cases:
        detail = scope.sees_case(cid, data.case_jurisdiction(cid))
        label = data.cases[cid].reference if detail else scope.case_ref(cid)
        names = sorted({gun_name(g) for g in by_case.get(cid, [])}, key=words.text)
        guns = tuple(words.text(n) for n in names)
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
                firearm_names=tuple(names),
            ))
    seen_guns = {gun.key: gun for cid in cases for gun in by_case.get(cid, [])}
    for gkey in sorted(seen_guns):
        gun_name(seen_guns[gkey])
        if nodes[gkey][1] and history_shown(data, scope, seen_guns[gkey]):
            rows.extend(_gun_history(data, scope, seen_guns[gkey], case_label))
    rows.sort(key=lambda r: (r.date_from, r.jurisdiction, r.case))
    name: words.Phrase | str = ""
    if firearm_id is not None:
        name = gun_phrase(guns_of(data)[record_key(data.firearms[firearm_id])])
    return Timeline(subject=subject, series_key=key, rows=tuple(rows), firearm_name=name)


def row_properties(row: TimelineRow) -> dict[str, Any]:
    props = asdict(row)
    for only_for_pages in ("latitude", "longitude", "firearm_names", "firearm_name", "said"):
        props.pop(only_for_pages)
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
