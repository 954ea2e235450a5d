"""Reports on demand: parameters, the document of each kind, and its bytes in each format.

:func:`produce` is what the API and the CLI call: it validates the parameters,
computes the product for the caller's scope, renders it, and returns the bytes with
the normalised parameters that are stored beside the report's SHA-256.

The documents (HTML, PDF) are written in the language ``lang`` names (a shipped
catalog: en, sq, sr_Latn, sr_Cyrl, mk), plain English when none is given; the
machine-readable formats (CSV, JSON, GraphML, GeoJSON) keep their English column
names, keys and values in every case, so scripts reading them never break.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ballistics_core import ALGORITHM_VERSION, __version__
from service.intel import figures
from service.intel.data import CaseLoad
from service.intel.graph import link_chart, series_case_sets, to_csv, to_graphml
from service.intel.render import Plain, ReportDocument, Section, Table, render_html, render_pdf
from service.intel.scope import Scope
from service.intel.stats import Period, StatsReport, statistics
from service.intel.timeline import gun_timeline, to_geojson
from service.voice import ENGLISH, N_, Voice, choose

Kind = Literal["link_chart", "timeline", "statistics"]
FORMATS: dict[str, dict[str, str]] = {
    "link_chart": {"html": "text/html", "pdf": "application/pdf", "graphml": "application/graphml+xml",
                   "csv": "text/csv"},
    "timeline": {"html": "text/html", "pdf": "application/pdf", "geojson": "application/geo+json",
                 "csv": "text/csv"},
    "statistics": {"html": "text/html", "pdf": "application/pdf", "csv": "text/csv", "json": "application/json"},
}


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LinkChartParams(_Params):
    linked_only: bool = True
    include_events: bool = True
    include_open_leads: bool = False
    include_traces: bool = True
    max_series_drawn: int = Field(24, ge=1, le=200)
    table: Literal["edges", "nodes"] = "edges"


class TimelineParams(_Params):
    case_id: int | None = None
    series_key: str | None = Field(None, max_length=40)
    firearm: str | None = Field(None, max_length=200, description="a gun known by its free text")
    firearm_id: int | None = Field(None, ge=1, le=2**31 - 1, description="a firearm record")

    @model_validator(mode="after")
    def _one_subject(self) -> "TimelineParams":
        if sum(x is not None for x in (self.case_id, self.series_key, self.firearm, self.firearm_id)) != 1:
            raise ValueError("give exactly one of case_id, series_key, firearm or firearm_id")
        return self


class StatisticsParams(_Params):
    start: date | None = None
    end: date | None = None
    by_year: bool = True


PARAMS: dict[str, type[_Params]] = {
    "link_chart": LinkChartParams,
    "timeline": TimelineParams,
    "statistics": StatisticsParams,
}


@dataclass(frozen=True)
class Product:
    kind: str
    format: str
    media_type: str
    content: bytes
    params: dict[str, Any]
    summary: dict[str, Any]

    @property
    def extension(self) -> str:
        return self.format


KIND_NAMES = {"link_chart": N_("link chart"), "timeline": N_("life of a gun"), "statistics": N_("statistics")}


def _meta(kind: str, scope: Scope, params: _Params, data: CaseLoad, v: Voice = ENGLISH) -> dict[str, Any]:
    now = datetime.now(timezone.utc).replace(microsecond=0)
    code = data.code(scope.jurisdiction_id)
    if v.code is None:  # the API's English, as it always was (an ISO timestamp, API values)
        return {
            "report": kind,
            "generated": now.isoformat(timespec="seconds"),
            "for": f"{scope.username or '-'} ({scope.role.value}, {code}{', partner view' if scope.partner else ''})",
            "parameters": json.dumps(params.model_dump(mode="json"), sort_keys=True),
            "software": f"ballistics-engine {__version__}, algorithm {ALGORITHM_VERSION}",
            "visibility": "your jurisdiction's and disclosed cases in full; other cases as opaque references "
                          "with places coarsened to about 0.1 degree (city level)",
        }
    who = (v._("%(user)s (%(role)s, %(jurisdiction)s, partner view)") if scope.partner
           else v._("%(user)s (%(role)s, %(jurisdiction)s)")) % dict(
        user=scope.username or "-", role=v.term(scope.role), jurisdiction=code)
    return {
        v._("report"): v._(KIND_NAMES[kind]),
        v._("generated"): v.datetime(now),
        v._("for"): who,
        # The parameters as the API takes them (names and values are the API's).
        v._("parameters"): json.dumps(params.model_dump(mode="json"), sort_keys=True),
        v._("software"): v._("ballistics-engine %(version)s, algorithm %(algorithm)s", version=__version__,
                             algorithm=ALGORITHM_VERSION),
        v._("visibility"): v._("your jurisdiction's and disclosed cases in full; other cases as opaque references "
                               "with places coarsened to about 0.1 degree (city level)"),
    }


# --- link chart ------------------------------------------------------------------------


def link_chart_product(data, scope, params: LinkChartParams, fmt: str, series_sets=None, v: Voice = ENGLISH):
    chart = link_chart(data, scope, linked_only=params.linked_only, include_events=params.include_events,
                       include_open_leads=params.include_open_leads, include_traces=params.include_traces,
                       series_sets=series_sets)
    summary = {"series": len(chart.series), "nodes": chart.graph.number_of_nodes(),
               "edges": chart.graph.number_of_edges(),
               "cross_border_series": sum(s.cross_border for s in chart.series),
               "firearms": sum(1 for _n, kind in chart.graph.nodes(data="kind") if kind == "firearm")}
    if fmt == "graphml":
        return to_graphml(chart), summary
    if fmt == "csv":
        return to_csv(chart, params.table).encode("utf-8"), summary
    rows = [[s.key, s.n_cases, len(s.visible_case_ids), s.n_hits, s.n_firearms, ", ".join(s.jurisdictions),
             s.first_date, s.last_date] for s in chart.series]
    doc = ReportDocument(
        title=v._("Link chart: linked series"),
        meta=_meta("link_chart", scope, params, data, v),
        sections=[
            Section(
                v._("Summary"),
                [v._("%(series)s linked series touch cases you see in full; %(cross)s of them cross jurisdictions. "
                     "A series is a connected set of cases joined by confirmed hits or by a firearm: test fires of "
                     "the same gun, the case its record was registered under, and the cases hits linked its test "
                     "fire to.", series=v.integer(summary["series"]), cross=v.integer(summary["cross_border_series"]))],
            ),
            Section(v._("Chart"), figures=[figures.link_chart_figure(chart, max_series=params.max_series_drawn, v=v)]),
            Section(v._("Series"), tables=[Table(labels(SERIES_COLUMNS, v), rows, v._("all series in scope"))]),
            Section(v._("Firearms"), tables=[Table(
                labels(FIREARM_COLUMNS, v), firearm_rows(chart),
                v._("guns on the chart; another jurisdiction's as an opaque reference"))]),
        ],
        voice=v,
    )
    return doc, summary


def labels(columns: list[str], v: Voice) -> list[str]:
    """A table's column names in the reader's language (each one a message of the catalog)."""
    return [v._(COLUMN_NAMES.get(c, c)) for c in columns]


SERIES_COLUMNS = ["series", "cases", "yours", "hits", "firearms", "jurisdictions", "first incident", "last incident"]
FIREARM_COLUMNS = ["firearm", "jurisdiction", "series", "type", "calibre", "status", "trace requests (open)",
                   "lost-and-stolen alerts (unacknowledged)"]


def firearm_rows(chart) -> list[list[Any]]:
    """One row per gun on the chart, with its trace history in counts."""
    out = []
    for _node, a in sorted(chart.graph.nodes(data=True), key=lambda n: (n[1].get("series", ""), n[0])):
        if a.get("kind") != "firearm":
            continue
        traces = f"{a['traces']} ({a['open_traces']})" if "traces" in a else ""
        alerts = f"{a['stolen_alerts']} ({a['unacknowledged_alerts']})" if "stolen_alerts" in a else ""
        out.append([a["label"], a.get("jurisdiction", ""), a.get("series", ""), _term(a.get("firearm_type", "")),
                    a.get("calibre", ""), _term(a.get("status", "")), traces, alerts])
    return out


def _term(value):
    """An API value in a document's cell: the reader's word for it (the value itself in plain English)."""
    from service.intel.words import Term

    return Term(value) if value else value


# --- life of a gun ---------------------------------------------------------------------


TIMELINE_COLUMNS = ["date_from", "date_to", "event_kind", "jurisdiction", "case", "detail", "location",
                    "latitude", "longitude", "precision", "firearms", "firearm", "summary"]


def timeline_product(data, scope, params: TimelineParams, fmt: str, series_sets=None, v: Voice = ENGLISH):
    tl = gun_timeline(data, scope, case_id=params.case_id, series_key=params.series_key, firearm=params.firearm,
                      firearm_id=params.firearm_id, series_sets=series_sets)
    summary = {"events": len(tl.rows), "jurisdictions": list(tl.jurisdictions), "span_days": tl.span_days,
               "series_key": tl.series_key}
    if fmt == "geojson":
        return json.dumps(to_geojson(tl), indent=1).encode("utf-8"), summary
    table_rows = [[getattr(r, c) if c != "firearms" else "; ".join(r.firearms) for c in TIMELINE_COLUMNS]
                  for r in tl.rows]
    if fmt == "csv":
        out = io.StringIO()
        w = csv.writer(out, lineterminator="\n")
        w.writerow(TIMELINE_COLUMNS)
        w.writerows([["" if v is None else v for v in row] for row in table_rows])
        return out.getvalue().encode("utf-8"), summary
    # In a document the kinds, precisions and what happened are the reader's words (the
    # products keep them as phrases for that); the CSV above keeps the API's English.
    doc_rows = [[r.date_from, r.date_to, _term(r.event_kind), r.jurisdiction, r.case, r.detail, r.location,
                 r.latitude, r.longitude, _term(r.precision),
                 "; ".join(v.say(n) for n in r.firearm_names) if r.firearm_names else "; ".join(r.firearms),
                 r.firearm_name or r.firearm, r.said or r.summary] for r in tl.rows]
    heading = timeline_heading(data, params, tl, v)
    doc = ReportDocument(
        title=heading,
        meta=_meta("timeline", scope, params, data, v),
        sections=[
            Section(v._("Summary"), [v._(
                "%(events)s events in %(n)s jurisdiction(s) (%(codes)s) over %(days)s days.",
                events=v.integer(len(tl.rows)), n=v.integer(len(tl.jurisdictions)), codes=", ".join(tl.jurisdictions),
                days=v.integer(tl.span_days))]),
            Section(v._("Timeline"), figures=[figures.timeline_figure(tl, v, heading)]),
            Section(v._("Map"), figures=[figures.map_figure(tl, v, heading)]),
            Section(v._("Events"), tables=[Table(labels(TIMELINE_COLUMNS, v), doc_rows, v._("in date order"))]),
        ],
        voice=v,
    )
    return doc, summary


def timeline_heading(data, params: TimelineParams, tl, v: Voice) -> str:
    """What a life-of-a-gun document is about, as its page says it."""
    if v.code is None:
        return f"The life of {tl.subject}"
    if params.case_id is not None:
        return v._("Life of the series holding case %(ref)s", ref=data.cases[params.case_id].reference)
    if params.series_key is not None:
        return v._("Life of series %(key)s", key=params.series_key)
    if params.firearm is not None:
        return v._("Life of firearm %(name)s", name=params.firearm)
    return v._("Life of firearm %(name)s", name=v.say(tl.firearm_name or tl.subject))


# --- statistics ------------------------------------------------------------------------


def default_period(data: CaseLoad) -> Period:
    days = [e.date_from for e in data.events.values()]
    if not days:
        today = datetime.now(timezone.utc).date()
        return Period(today.replace(month=1, day=1), today.replace(year=today.year + 1, month=1, day=1))
    return Period(date(min(days).year, 1, 1), date(max(days).year + 1, 1, 1))


def period_words(period: Period, v: Voice) -> str:
    """A period as its table caption says it (its last day is the day before ``end``)."""
    if v.code is None:
        return period.label
    return v._("%(start)s to %(end)s", start=v.date(period.start), end=v.date(period.end - timedelta(days=1)))


STATS_COLUMNS = ["jurisdiction", "items recovered", "test fires", "scans", "runs", "leads", "confirmed", "refuted",
                 "inconclusive", "open", "hits", "cross-border hits", "confirmation rate",
                 "recovery→submission median d", "incident→lead median d", "lead→confirmation median d"]


def stats_rows(report: StatsReport) -> list[list[Any]]:
    out = []
    for r in report.rows:
        s = r.leads_by_state
        out.append([r.code, r.items_recovered, r.test_fires, r.scans, r.runs, r.leads, s["confirmed"], s["refuted"],
                    s["inconclusive"], s["proposed"] + s["issued"], r.hits, r.cross_border_hits,
                    r.confirmation_rate, r.recovery_to_submission.median_days, r.incident_to_lead.median_days,
                    r.lead_to_confirmation.median_days])
    return out


def statistics_product(data, scope, params: StatisticsParams, fmt: str, series_sets=None, v: Voice = ENGLISH):
    period = default_period(data)
    period = Period(params.start or period.start, params.end or period.end)
    report = statistics(data, scope, period)
    summary = {"period": [period.start.isoformat(), period.end.isoformat()], "jurisdictions": len(report.rows)}
    if fmt == "json":
        body = {"period": summary["period"], "rows": [asdict(r) for r in report.rows],
                "matrix_codes": list(report.matrix_codes), "matrix": [list(r) for r in report.matrix],
                "hidden_jurisdictions": report.hidden_jurisdictions}
        return json.dumps(body, indent=1, default=str).encode("utf-8"), summary
    if fmt == "csv":
        out = io.StringIO()
        w = csv.writer(out, lineterminator="\n")
        w.writerow(STATS_COLUMNS)
        w.writerows([["" if v is None else v for v in row] for row in stats_rows(report)])
        return out.getvalue().encode("utf-8"), summary
    period_label = period_words(period, v)
    sections = [
        Section(v._("Figures"), figures=figures.stats_figures(report, v, period_label)),
        Section(v._("Per jurisdiction"), tables=[Table(labels(STATS_COLUMNS, v), stats_rows(report), period_label)]),
        Section(v._("Cross-border hit matrix"), tables=[Table(
            ["", *report.matrix_codes],
            [[code, *row] for code, row in zip(report.matrix_codes, report.matrix)],
            v._("hits between a case of the row's and one of the column's jurisdiction (– hidden)"))]),
    ]
    if params.by_year and (period.end - timedelta(days=1)).year > period.start.year:
        yearly = []
        last_day = period.end - timedelta(days=1)
        for year in Period.years(period.start.year, last_day.year):
            sub = statistics(data, scope, Period(max(year.start, period.start), min(year.end, period.end)))
            yearly.extend([[Plain(str(year.start.year)), *row] for row in stats_rows(sub)])
        sections.append(Section(v._("By year"), tables=[Table(labels(["year", *STATS_COLUMNS], v), yearly,
                                                               v._("each calendar year"))]))
    if report.hidden_jurisdictions:
        sections[0].paragraphs.append(v._("%(n)s partner jurisdiction(s) are not shown in your scope.",
                                          n=v.integer(report.hidden_jurisdictions)))
    doc = ReportDocument(title=v._("Focal Point statistics"), meta=_meta("statistics", scope, params, data, v),
                         sections=sections, voice=v)
    return doc, summary


BUILDERS = {"link_chart": link_chart_product, "timeline": timeline_product, "statistics": statistics_product}


def produce(data: CaseLoad, scope: Scope, kind: str, fmt: str, params: dict[str, Any] | None = None,
            *, series_sets: list[frozenset[int]] | None = None, lang: str | None = None) -> Product:
    """One report's bytes for the caller.

    ``lang`` is the language of an HTML or PDF document (``None``: the API's English);
    the other formats are the same bytes whatever it is.
    Raises ``ValueError`` for an unknown kind or format or bad parameters, or an
    unknown language, and ``SubjectNotFound`` when a timeline's subject is outside the
    caller's reach.
    """
    v = choose(lang)
    if kind not in FORMATS:
        raise ValueError(f"unknown report kind {kind!r} ({', '.join(FORMATS)})")
    if fmt not in FORMATS[kind]:
        raise ValueError(f"a {kind} report comes as {', '.join(FORMATS[kind])}, not {fmt!r}")
    checked = PARAMS[kind].model_validate(params or {})
    if kind != "statistics" and series_sets is None:
        series_sets = series_case_sets(data)
    result, summary = BUILDERS[kind](data, scope, checked, fmt, series_sets, v)
    if isinstance(result, ReportDocument) and v.code is not None:
        summary = dict(summary, language=v.code)
    if isinstance(result, ReportDocument):
        content = render_html(result) if fmt == "html" else render_pdf(result)
    else:
        content = result
    return Product(kind=kind, format=fmt, media_type=FORMATS[kind][fmt], content=content,
                   params=checked.model_dump(mode="json"), summary=summary)


# The column names of the documents' tables, as messages (the CSV headers are the keys, in English).
COLUMN_NAMES: dict[str, str] = {
    "series": N_("series"), "cases": N_("cases"), "yours": N_("yours"), "hits": N_("hits"),
    "firearms": N_("firearms"), "jurisdictions": N_("jurisdictions"), "first incident": N_("first incident"),
    "last incident": N_("last incident"), "firearm": N_("firearm"), "jurisdiction": N_("jurisdiction"),
    "type": N_("type"), "calibre": N_("calibre"), "status": N_("status"),
    "trace requests (open)": N_("trace requests (open)"),
    "lost-and-stolen alerts (unacknowledged)": N_("lost-and-stolen alerts (unacknowledged)"),
    "date_from": N_("from"), "date_to": N_("to"), "event_kind": N_("what"), "case": N_("case"),
    "detail": N_("in full"), "location": N_("place"), "latitude": N_("latitude"), "longitude": N_("longitude"),
    "precision": N_("place precision"), "summary": N_("what happened"), "year": N_("year"),
    "items recovered": N_("items recovered"), "test fires": N_("test fires"), "scans": N_("scans"),
    "runs": N_("runs"), "leads": N_("leads"), "confirmed": N_("confirmed"), "refuted": N_("refuted"),
    "inconclusive": N_("inconclusive"), "open": N_("open"), "cross-border hits": N_("cross-border hits"),
    "confirmation rate": N_("confirmation rate"),
    "recovery→submission median d": N_("recovery→submission median d"),
    "incident→lead median d": N_("incident→lead median d"),
    "lead→confirmation median d": N_("lead→confirmation median d"),
}
