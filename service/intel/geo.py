"""Events per jurisdiction on a map of the region, drawn without any tile server.

The region is the seven countries of the focal points, as the simplified outlines in
``geodata/region.geojson`` (public domain, after Natural Earth; see ``geodata/README.md``
for how coarse they are). A jurisdiction is drawn as the area its administrator set as
its map region (``Jurisdiction.map_region``), else as a country when its code is that
country's ISO 3166 code (alpha-2 or alpha-3; ``XK``, ``XKX``, ``KOS`` or ``RKS`` for
Kosovo) or its name is the country's English or local name; any other jurisdiction is
counted and listed beside the map, never guessed onto it.

Counts are aggregates and name no case, so they follow the statistics' rule
(:func:`service.intel.stats.visible_jurisdictions`): a domestic caller sees every
domestic jurisdiction, a partner only its own.
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Literal

from pydantic import BaseModel, ConfigDict, model_validator

from service.intel.data import CaseLoad
from service.intel.scope import Scope
from service.intel.stats import visible_jurisdictions
from service.models import EventKind

REGION_FILE = Path(__file__).resolve().parent / "geodata" / "region.geojson"
MAP_FORMATS = {"csv": "text/csv", "geojson": "application/geo+json"}

# Where each country's name and count are written (inside its outline).
LABEL_POINTS = {
    "AL": (20.05, 41.05), "BA": (17.75, 44.25), "XK": (20.95, 42.6), "MD": (28.55, 47.25),
    "ME": (19.25, 42.8), "RS": (20.85, 44.25), "MK": (21.75, 41.6),
}
# Other codes and names jurisdictions are known by.
_ALIASES = {
    "KOS": "XK", "RKS": "XK", "KOSOVA": "XK", "KOSOVO": "XK", "SHQIPËRIA": "AL", "SHQIPERIA": "AL",
    "BIH": "BA", "BOSNA I HERCEGOVINA": "BA", "BOSNIA AND HERZEGOVINA": "BA", "BOSNIA": "BA",
    "CRNA GORA": "ME", "ЦРНА ГОРА": "ME", "SRBIJA": "RS", "СРБИЈА": "RS", "REPUBLIC OF MOLDOVA": "MD",
    "MACEDONIA": "MK", "СЕВЕРНА МАКЕДОНИЈА": "MK", "MAQEDONIA E VERIUT": "MK", "SJEVERNA MAKEDONIJA": "MK",
    "SEVERNA MAKEDONIJA": "MK",
}


@lru_cache(maxsize=1)
def region() -> dict[str, Any]:
    """The outlines as a GeoJSON FeatureCollection (read once)."""
    return json.loads(REGION_FILE.read_text(encoding="utf-8"))


def countries() -> list[dict[str, Any]]:
    return [f["properties"] for f in region()["features"]]


def region_codes() -> list[str]:
    """The ISO alpha-2 codes of the shipped outlines: what a jurisdiction's map region may be."""
    return [p["iso_a2"] for p in countries()]


def country_of(code: str, name: str = "") -> str | None:
    """The ISO alpha-2 code of the country a jurisdiction is, or None."""
    keys = {code.strip().upper(), name.strip().upper()} - {""}
    for props in countries():
        own = {props["iso_a2"], props["iso_a3"], props["name"].upper()}
        own |= {n.strip().upper() for n in props.get("name_local", "").split("/")}
        if keys & own:
            return props["iso_a2"]
    for k in keys:
        if k in _ALIASES:
            return _ALIASES[k]
    return None


# --- the product -----------------------------------------------------------------------


class MapParams(BaseModel):
    """Filters of the map: a period (``start <= date < end``) and an event kind."""

    model_config = ConfigDict(extra="forbid")

    start: date | None = None
    end: date | None = None
    kind: EventKind | None = None

    @model_validator(mode="after")
    def _ordered(self) -> "MapParams":
        if self.start and self.end and self.end <= self.start:
            raise ValueError(f"period end {self.end} is not after its start {self.start}")
        return self


@dataclass(frozen=True)
class JurisdictionEvents:
    code: str
    name: str
    country: str | None  # ISO alpha-2 of the country it is drawn as, None when off the map
    events: int
    by_kind: dict[str, int]


@dataclass(frozen=True)
class EventMap:
    params: MapParams
    rows: tuple[JurisdictionEvents, ...]
    kinds: tuple[str, ...]
    hidden_jurisdictions: int = 0
    by_country: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(r.events for r in self.rows)


def events_per_jurisdiction(data: CaseLoad, scope: Scope, params: MapParams) -> EventMap:
    """Events (by their first day) per jurisdiction the caller may see counted."""
    kinds = tuple(k.value for k in EventKind)
    counts: dict[int, dict[str, int]] = {j: {k: 0 for k in kinds} for j in data.jurisdictions}
    for ev in data.events.values():
        if params.start and ev.date_from < params.start:
            continue
        if params.end and ev.date_from >= params.end:
            continue
        if params.kind and ev.kind != params.kind:
            continue
        counts[data.case_jurisdiction(ev.case_id)][ev.kind.value] += 1
    shown = visible_jurisdictions(data, scope)
    rows = []
    for jid in sorted(shown, key=lambda j: data.jurisdictions[j].code):
        j = data.jurisdictions[jid]
        by_kind = counts[jid]
        # The administrator's choice first; else the code or name, when it is a country's.
        drawn_as = j.map_region if j.map_region in region_codes() else country_of(j.code, j.name)
        rows.append(JurisdictionEvents(j.code, j.name, drawn_as, sum(by_kind.values()), by_kind))
    by_country: dict[str, int] = {}
    for r in rows:
        if r.country:
            by_country[r.country] = by_country.get(r.country, 0) + r.events
    return EventMap(params=params, rows=tuple(rows), kinds=kinds,
                    hidden_jurisdictions=len(data.jurisdictions) - len(rows), by_country=by_country)


def map_export(m: EventMap, fmt: Literal["csv", "geojson"]) -> bytes:
    """The counts as CSV (one row per jurisdiction) or as the outlines with their counts."""
    if fmt == "csv":
        out = io.StringIO()
        w = csv.writer(out, lineterminator="\n")
        w.writerow(["jurisdiction", "name", "country", "events", *m.kinds])
        for r in m.rows:
            w.writerow([r.code, r.name, r.country or "", r.events, *(r.by_kind[k] for k in m.kinds)])
        return out.getvalue().encode("utf-8")
    if fmt == "geojson":
        features = []
        for f in region()["features"]:
            iso = f["properties"]["iso_a2"]
            props = dict(f["properties"], events=m.by_country.get(iso, 0),
                         jurisdictions=[r.code for r in m.rows if r.country == iso])
            features.append({"type": "Feature", "properties": props, "geometry": f["geometry"]})
        body = {"type": "FeatureCollection", "features": features,
                "properties": {"filters": m.params.model_dump(mode="json"),
                               "off_the_map": {r.code: r.events for r in m.rows if not r.country},
                               "outlines": "simplified after Natural Earth (public domain); coarse, not for border use"}}
        return json.dumps(body, indent=1, ensure_ascii=False).encode("utf-8")
    raise ValueError(f"the map comes as {', '.join(MAP_FORMATS)}, not {fmt!r}")


# --- drawing -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Projection:
    """Equirectangular, longitudes shrunk by the cosine of the region's middle latitude,
    fitted into ``width`` (SVG user units, y down)."""

    west: float
    south: float
    east: float
    north: float
    width: float
    pad: float = 12.0

    @classmethod
    def of_region(cls, width: float = 640.0) -> "Projection":
        xs, ys = [], []
        for f in region()["features"]:
            for ring in f["geometry"]["coordinates"]:
                xs += [p[0] for p in ring]
                ys += [p[1] for p in ring]
        return cls(min(xs) - 0.2, min(ys) - 0.2, max(xs) + 0.2, max(ys) + 0.2, width)

    @property
    def kx(self) -> float:
        return math.cos(math.radians((self.south + self.north) / 2))

    @property
    def scale(self) -> float:
        return (self.width - 2 * self.pad) / ((self.east - self.west) * self.kx)

    @property
    def height(self) -> float:
        return round((self.north - self.south) * self.scale + 2 * self.pad, 1)

    def contains(self, lon: float, lat: float) -> bool:
        return self.west <= lon <= self.east and self.south <= lat <= self.north

    def __call__(self, lon: float, lat: float) -> tuple[float, float]:
        x = self.pad + (lon - self.west) * self.kx * self.scale
        y = self.pad + (self.north - lat) * self.scale
        return round(x, 1), round(y, 1)


def outline_paths(proj: Projection) -> list[dict[str, Any]]:
    """Each country's SVG path and label point."""
    out = []
    for f in region()["features"]:
        props = f["properties"]
        parts = []
        geom = f["geometry"]
        polygons = geom["coordinates"] if geom["type"] == "MultiPolygon" else [geom["coordinates"]]
        for polygon in polygons:
            for ring in polygon:
                pts = [proj(lon, lat) for lon, lat in ring]
                parts.append("M" + " L".join(f"{x},{y}" for x, y in pts) + " Z")
        lx, ly = proj(*LABEL_POINTS.get(props["iso_a2"], ring[0]))
        out.append(dict(iso=props["iso_a2"], name=props["name"], d=" ".join(parts), label_x=lx, label_y=ly))
    return out


def located(points: Iterable[tuple[float | None, float | None]], proj: Projection):
    """Projected points inside the frame, and how many fell outside it (or had no place)."""
    inside, outside = [], 0
    for lon, lat in points:
        if lon is None or lat is None or not proj.contains(lon, lat):
            outside += 1
            continue
        inside.append(proj(lon, lat))
    return inside, outside
