"""The guns of a case load: which cases each gun is attached to, and how.

A gun is attached to a case

- ``firearm``: the case holds one of its test fires (an exhibit fired from it);
- ``registered_in``: the case its firearm record was registered under (where it was
  recovered, seized or surrendered);
- ``firearm_link``: a hit linked its test fire to the case (``FirearmCaseLink``), which
  also links the other cases of a series the gun joined.

Each is a series link: a gun joins every case it is attached to into one series.

A gun's key is ``#<record id>`` for a firearm record, and the free text of
``Exhibit.firearm`` for a gun known only by that text (before firearm records, or in
a load written without them). A record made from free text (migration 0004) keeps
that text as its key, so the test fires that text named in several cases stay one
gun; such a record is attached through its test fires and links only, as the text
was, never through ``registered_in`` (the text may sit on a crime-scene exhibit).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from service.intel.data import CaseLoad, FirearmRow
from service.intel.words import Phrase, gun_name
from service.models import ExhibitKind, TraceStatus

GUN_LINKS = ("firearm", "registered_in", "firearm_link")
OPEN_TRACES = frozenset({TraceStatus.sent})


@dataclass
class Gun:
    key: str
    records: list[FirearmRow] = field(default_factory=list)
    # case id -> how it is attached (the first way found, in GUN_LINKS order of strength)
    cases: dict[int, str] = field(default_factory=dict)
    test_fire_cases: set[int] = field(default_factory=set)
    # FirearmCaseLink: case id -> hit id
    link_hits: dict[int, int | None] = field(default_factory=dict)

    @property
    def record(self) -> FirearmRow | None:
        return self.records[0] if self.records else None

    @property
    def record_ids(self) -> list[int]:
        return [r.id for r in self.records]


def record_key(f: FirearmRow) -> str:
    return f.source_text if f.source_text else f"#{f.id}"


def guns_of(data: CaseLoad) -> dict[str, Gun]:
    """Every gun of the load by key (computed once per load and cached on it)."""
    cached = getattr(data, "_guns", None)
    if cached is not None:
        return cached
    guns: dict[str, Gun] = {}

    def gun(key: str) -> Gun:
        if key not in guns:
            guns[key] = Gun(key)
        return guns[key]

    for f in sorted(data.firearms.values(), key=lambda f: f.id):
        g = gun(record_key(f))
        g.records.append(f)
        if not f.source_text:
            g.cases.setdefault(f.case_id, "registered_in")
    for ex in sorted(data.exhibits.values(), key=lambda e: e.id):
        if ex.kind != ExhibitKind.test_fire:
            continue
        if ex.firearm_id is not None and ex.firearm_id in data.firearms:
            key = record_key(data.firearms[ex.firearm_id])
        elif ex.firearm:
            key = ex.firearm
        else:
            continue
        g = gun(key)
        g.test_fire_cases.add(ex.case_id)
        g.cases[ex.case_id] = "firearm"
    for link in sorted(data.firearm_links.values(), key=lambda l: l.id):
        if link.firearm_id not in data.firearms:
            continue
        g = gun(record_key(data.firearms[link.firearm_id]))
        g.link_hits.setdefault(link.case_id, link.hit_id)
        g.cases.setdefault(link.case_id, "firearm_link")
    # A record with nothing attached (migrated from a crime scene's free text) is no gun of a chart.
    guns = {k: g for k, g in guns.items() if g.cases}
    data._guns = guns  # type: ignore[attr-defined]
    return guns


def guns_by_case(data: CaseLoad) -> dict[int, list[Gun]]:
    out: dict[int, list[Gun]] = {}
    for g in guns_of(data).values():
        for cid in g.cases:
            out.setdefault(cid, []).append(g)
    return out


def gun_phrase(g: Gun) -> Phrase | str:
    """What an analyst calls the gun: make and model (or type) and serial, or its free text
    (a phrase, so that a page can say it in the viewer's language)."""
    f = g.record
    if f is None or f.source_text:
        return g.key
    return gun_name(f.make, f.model, f.kind.value, f.serial_number, f.id)


def gun_label(g: Gun) -> str:
    """The gun's name in English, as the API and the downloads give it."""
    return str(gun_phrase(g))


def gun_shown(data: CaseLoad, scope, g: Gun) -> bool:
    """Whether the caller sees the gun in detail: they hold one of its test fires, its
    record's case is theirs or disclosed to them, or the record itself was disclosed
    to them after a serial query. Otherwise the gun is an opaque reference."""
    sees = lambda cid: scope.sees_case(cid, data.case_jurisdiction(cid))  # noqa: E731
    if any(sees(c) for c in g.test_fire_cases):
        return True
    return any((not r.source_text and sees(r.case_id)) or r.id in scope.disclosed_firearms for r in g.records)


def gun_node(data: CaseLoad, scope, g: Gun) -> tuple[str, bool]:
    shown = gun_shown(data, scope, g)
    return (f"firearm:{g.key}" if shown else scope.firearm_ref(g.key)), shown


def history_shown(data: CaseLoad, scope, g: Gun) -> bool:
    """Whether the caller sees the gun's trace history (trace requests, lost-and-stolen
    alerts, life cycle): it belongs to the case of the record, so only to whoever sees
    that case; a record disclosed on its own shows the record, not its history."""
    return any(scope.sees_case(r.case_id, data.case_jurisdiction(r.case_id)) for r in g.records)
