"""Firearm intelligence: recovered guns by type, origin and conversion over time and per
jurisdiction, and trafficking routes from where a gun came from to where it was
recovered, as a table and a flow chart.

Both are counts only (no case, serial or person), so every jurisdiction's guns are
counted; the origin of a route is the country of the gun's last legal owner where a
lost-and-stolen register names it (the reporting country), otherwise its country of
manufacture.
"""

from __future__ import annotations

import io
from collections import Counter
from dataclasses import asdict, dataclass

from matplotlib.figure import Figure
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.models import Case, Firearm, FirearmType, Jurisdiction, StolenAlert, StolenEntry

# Types that began as something else (or as nothing): conversions in the Focal Point sense.
CONVERTED = {FirearmType.converted_alarm, FirearmType.reactivated, FirearmType.privately_made, FirearmType.printed_3d}


@dataclass(frozen=True)
class TypeCount:
    year: int
    jurisdiction: str
    kind: str
    converted: bool
    origin: str
    count: int


@dataclass(frozen=True)
class Route:
    origin: str
    origin_basis: str  # "last_legal_owner" or "manufacture"
    recovered_in: str
    cross_border: bool
    count: int


def _guns(session: Session):
    return session.execute(
        select(Firearm.id, Firearm.kind, Firearm.country_of_manufacture, Firearm.created_at, Jurisdiction.code)
        .join(Case, Firearm.case_id == Case.id).join(Jurisdiction, Case.jurisdiction_id == Jurisdiction.id)
        .order_by(Firearm.id)
    ).all()


def by_type(session: Session) -> list[TypeCount]:
    counts = Counter()
    for _, kind, origin, created, code in _guns(session):
        counts[(created.year, code, kind.value, kind in CONVERTED, origin.strip().upper() or "unknown")] += 1
    return [TypeCount(*k, count=n) for k, n in sorted(counts.items())]


def routes(session: Session) -> list[Route]:
    owner_country = dict(session.execute(
        select(StolenAlert.firearm_id, StolenEntry.country).join(StolenEntry, StolenAlert.entry_id == StolenEntry.id)
        .where(StolenEntry.country != "").order_by(StolenAlert.id.desc())).all())
    counts = Counter()
    for fid, _, made_in, _, code in _guns(session):
        if fid in owner_country:
            origin, basis = owner_country[fid].strip().upper(), "last_legal_owner"
        elif made_in.strip():
            origin, basis = made_in.strip().upper(), "manufacture"
        else:
            continue  # no origin known: not a route
        counts[(origin, basis, code)] += 1
    return [Route(o, b, d, cross_border=o != d.upper(), count=n) for (o, b, d), n in sorted(counts.items())]


def as_rows(items) -> list[dict]:
    return [asdict(i) for i in items]


def _heights(names: list[str]) -> dict[str, float]:
    return {name: 1 - (i + 0.5) / max(len(names), 1) for i, name in enumerate(names)}


def flow_chart_png(items: list[Route]) -> bytes:
    """Origins on the left, places of recovery on the right, band width by count."""
    origins = sorted({r.origin for r in items})
    dests = sorted({r.recovered_in for r in items})
    fig = Figure(figsize=(7, max(2.5, 0.5 * max(len(origins), len(dests), 1) + 1.5)), dpi=100)
    ax = fig.add_subplot()
    ax.set_axis_off()
    ax.set_title("Trafficking routes: origin to place of recovery")
    yo, yd = _heights(origins), _heights(dests)
    top = max((r.count for r in items), default=1)
    for r in items:
        ax.plot([0.1, 0.9], [yo[r.origin], yd[r.recovered_in]], color="#d62728" if r.cross_border else "#1f77b4",
                linewidth=1 + 8 * r.count / top, alpha=0.6, solid_capstyle="butt")
        ax.text(0.5, (yo[r.origin] + yd[r.recovered_in]) / 2, str(r.count), ha="center", va="bottom", fontsize=8)
    for name, yy in yo.items():
        ax.text(0.08, yy, name, ha="right", va="center")
    for name, yy in yd.items():
        ax.text(0.92, yy, name, ha="left", va="center")
    if not items:
        ax.text(0.5, 0.5, "no firearm with a known origin", ha="center", va="center")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()
