"""The analyst's pages: the intelligence products in the browser.

- the link chart, drawn by ``static/linkchart.js`` (pan, zoom, keyboard; a node of one
  of your cases opens the case), with the series as a table beside it;
- the life of a gun (a case, a series or a seized firearm): a timeline, a map and the events;
- the statistics per jurisdiction and the cross-border hit matrix, for a period;
- a map of events per jurisdiction, drawn as inline SVG from the shipped outlines;
- the firearm products (guns by type, trafficking routes).

The products are the ones the API serves: the same scope (``Scope.for_user``, so a role
that may not receive intelligence gets the API's 403), the same parameter models (so a
bad filter gets the same 422), the same functions. Downloads go through the API's own
report functions (``service.api.routes.reports``): each download is stored with its
parameters and SHA-256 and recorded in the audit trail, exactly as ``POST /api/reports``
followed by ``GET /api/reports/{id}/content``.
"""

from __future__ import annotations

import json
import typing
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, HTTPException, Request, status
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ValidationError

from service import reasons
from service.reasons import reason_of
from service import audit
from service.api.deps import SessionDep, SettingsDep
from service.api.routes import intel as intel_api
from service.api.routes import reports as reports_api
from service.intel.data import load_case_load
from service.intel.geo import MAP_FORMATS, MapParams, Projection, events_per_jurisdiction, located, map_export, \
    outline_paths
from service.intel.graph import link_chart, series_case_sets
from service.intel.reports import FORMATS, PARAMS, STATS_COLUMNS, LinkChartParams, StatisticsParams, \
    TimelineParams, default_period, stats_rows
from service.intel.scope import Scope, ScopeError
from service.intel.stats import Period, statistics
from service.intel.timeline import SubjectNotFound, gun_timeline
from service.models import EventKind
from service.web.auth import PREFIX, Viewer, ViewerDep, need
from service.web.chart import PALETTE, chart_view
from service.web.i18n import N_
from service.web.pages import CsrfField, guard
from service.web.render import environment, error_page, language, render, translator

router = APIRouter(prefix=PREFIX, include_in_schema=False)

PRODUCTS = [
    ("link-chart", N_("Link chart")),
    ("timeline", N_("Life of a gun")),
    ("statistics", N_("Statistics")),
    ("map", N_("Map of events")),
    ("firearms", N_("Firearms")),
]
FORMAT_NAMES = {"html": "HTML", "pdf": "PDF", "graphml": "GraphML", "csv": "CSV", "geojson": "GeoJSON",
                "json": "JSON", "png": "PNG"}
# Headers of the statistics table, by the product's own (English) column names.
STAT_HEADERS = {
    "jurisdiction": N_("Jurisdiction"),
    "items recovered": N_("Cartridge cases recovered"),
    "test fires": N_("Test fires"),
    "scans": N_("Scans"),
    "runs": N_("Correlation runs"),
    "leads": N_("Leads"),
    "confirmed": N_("Leads confirmed"),
    "refuted": N_("Leads refuted"),
    "inconclusive": N_("Leads inconclusive"),
    "open": N_("Leads open"),
    "hits": N_("Hits"),
    "cross-border hits": N_("Cross-border hits"),
    "confirmation rate": N_("Confirmation rate"),
    "recovery→submission median d": N_("Recovery to submission (median days)"),
    "incident→lead median d": N_("Incident to lead (median days)"),
    "lead→confirmation median d": N_("Lead to confirmation (median days)"),
}
COUNTRY_NAMES = {
    "AL": N_("Albania"), "BA": N_("Bosnia and Herzegovina"), "XK": N_("Kosovo"), "MD": N_("Moldova"),
    "ME": N_("Montenegro"), "RS": N_("Serbia"), "MK": N_("North Macedonia"),
}
MAX_QUERY_VALUE = 500


# --- parameters as the API takes them ----------------------------------------------------


def _reasons(exc: ValidationError) -> str:
    return "; ".join(
        (f"{'.'.join(str(p) for p in e['loc'])}: " if e["loc"] else "") + e["msg"].removeprefix("Value error, ")
        for e in exc.errors()
    )


def _fields_refused(exc: ValidationError) -> HTTPException:
    """A filter the product's parameters refuse: its fields named in the reader's language,
    the schema's words after them as English (the detail as before)."""
    fields = [".".join(str(p) for p in e["loc"]) or "–" for e in exc.errors()]
    return reasons.fields_refused(list(dict.fromkeys(fields)), _reasons(exc))


def _is_int(annotation) -> bool:
    return annotation is int or int in typing.get_args(annotation)


def raw_params(model: type[BaseModel], given: Mapping[str, str]) -> dict[str, Any]:
    """A product's parameters from a filter form, as the JSON body of the API would carry them.

    Text fields are passed on as text, whole-number fields as numbers (other text is
    passed unchanged, so the model names the field), empty fields are left out (the
    product's default applies). A checkbox left unticked sends nothing: once the form
    was submitted (``filtered=1``) an absent box is False, before that the default holds.
    """
    submitted = given.get("filtered") == "1"
    raw: dict[str, Any] = {}
    for name, f in model.model_fields.items():
        value = (given.get(name) or "").strip()
        if f.annotation is bool:
            if submitted:
                raw[name] = value in ("1", "on", "true", "yes")
            continue
        if not value:
            continue
        if _is_int(f.annotation):
            try:
                raw[name] = int(value)
            except ValueError:
                raw[name] = value
        else:
            raw[name] = value
    return raw


def parse(model: type[BaseModel], given: Mapping[str, str]):
    too_long = [k for k, v in given.items() if len(v) > MAX_QUERY_VALUE or len(k) > 40]
    if too_long:
        raise reasons.value_too_long(too_long[0], MAX_QUERY_VALUE)
    try:
        return model.model_validate_json(json.dumps(raw_params(model, given)))
    except ValidationError as exc:
        raise _fields_refused(exc) from None


def _scope(session, settings, viewer: Viewer) -> Scope:
    """The caller as the products see them; the API's refusal for a role that gets none."""
    need(viewer, "hits:read")
    try:
        return Scope.for_user(session, settings, viewer.user)
    except ScopeError as exc:
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail=str(exc)) from None


def _page(request: Request, viewer: Viewer, template: str, product: str, *, status_code: int = 200, **ctx):
    _ = translator(request, viewer)
    return render(request, template, status_code=status_code, viewer=viewer, products=PRODUCTS, product=product,
                  format_names=FORMAT_NAMES, country_names={k: _(v) for k, v in COUNTRY_NAMES.items()}, **ctx)


def _refused(request, viewer, template, product, exc: HTTPException, **ctx):
    """A bad filter keeps the form on screen with the reason; any other refusal is the error page."""
    if exc.status_code in (404, 422) and viewer.may("hits:read"):
        return _page(request, viewer, template, product, status_code=exc.status_code, **dict(ctx, error=reason_of(exc)))
    return error_page(request, viewer, exc)


def _colours(codes) -> dict[str, str]:
    return {c: PALETTE[i % len(PALETTE)] for i, c in enumerate(sorted(set(codes)))}


# --- the link chart ------------------------------------------------------------------------


@router.get("/intel", response_class=HTMLResponse)
def intel_home(viewer: ViewerDep) -> Response:
    return Response(status_code=status.HTTP_303_SEE_OTHER, headers={"Location": f"{PREFIX}/intel/link-chart"})


@router.get("/intel/link-chart", response_class=HTMLResponse)
def link_chart_page(request: Request, session: SessionDep, settings: SettingsDep, viewer: ViewerDep) -> HTMLResponse:
    given = dict(request.query_params)
    ctx = dict(given=given, params=LinkChartParams(), formats=list(FORMATS["link_chart"]), view=None, series=[],
               error=None)
    try:
        scope = _scope(session, settings, viewer)
        params = parse(LinkChartParams, given)
        ctx["params"] = params
        data = load_case_load(session)
        audit.record(session, viewer.user, "read", "intel", "link-chart", **params.model_dump(mode="json"))
        session.commit()
    except HTTPException as exc:
        return _refused(request, viewer, "intel_chart.html", "link-chart", exc, **ctx)
    chart = link_chart(data, scope, linked_only=params.linked_only, include_events=params.include_events,
                       include_open_leads=params.include_open_leads)
    code = language(request, viewer)
    env = environment(code)
    view = chart_view(chart, own_jurisdiction=viewer.jurisdiction, prefix=PREFIX, gettext=translator(request, viewer),
                      term=env.globals["term"], max_groups=params.max_series_drawn, say=env.globals["say"],
                      day=env.filters["day"])
    g = chart.graph
    series = []
    for s in chart.series:
        cases = []
        for cid in s.visible_case_ids:
            a = g.nodes.get(f"case:{cid}", {})
            own = a.get("jurisdiction") == viewer.jurisdiction
            cases.append(dict(label=a.get("label", str(cid)), url=f"{PREFIX}/cases/{cid}" if own else ""))
        series.append(dict(s=s, cases=cases, timeline=f"{PREFIX}/intel/timeline?" + urlencode({"series_key": s.key})))
    ctx.update(view=view, series=series, n_nodes=g.number_of_nodes(), n_edges=g.number_of_edges(),
               download=params.model_dump(mode="json", exclude={"table"}))
    return _page(request, viewer, "intel_chart.html", "link-chart", **ctx)


# --- the life of a gun ---------------------------------------------------------------------


def _series_choices(data, scope: Scope) -> list[dict]:
    out = []
    for cases in series_case_sets(data):
        if any(scope.sees_case(c, data.case_jurisdiction(c)) for c in cases):
            codes = sorted({data.code(data.case_jurisdiction(c)) for c in cases})
            out.append(dict(key=scope.series_key(min(cases)), n=len(cases), jurisdictions=", ".join(codes)))
    return out


def _timeline_svg(rows, colours: dict[str, str]) -> dict[str, Any] | None:
    """Positions of the timeline figure: one lane per jurisdiction, time along x."""
    if not rows:
        return None
    lanes = sorted({r.jurisdiction for r in rows})
    first = min(r.date_from for r in rows)
    last = max((r.date_to or r.date_from) for r in rows)
    span = max((last - first).days, 1)
    left, width, lane_h, top = 110.0, 740.0, 46.0, 16.0

    def x_of(d: date) -> float:
        return round(left + width * (d - first).days / span, 1)

    marks = []
    for i, r in enumerate(rows, start=1):
        marks.append(dict(n=i, x=x_of(r.date_from), x2=x_of(r.date_to) if r.date_to else None,
                          y=round(top + lane_h * (lanes.index(r.jurisdiction) + 0.5), 1), kind=r.event_kind,
                          fill=colours.get(r.jurisdiction, "#495057"), row=r))
    n_ticks = min(6, span + 1)
    ticks = [first + timedelta(days=round(span * k / max(n_ticks - 1, 1))) for k in range(n_ticks)]
    height = top + lane_h * len(lanes) + 40
    return dict(lanes=[dict(code=c, y=round(top + lane_h * (i + 0.5), 1)) for i, c in enumerate(lanes)],
                marks=marks, ticks=[dict(day=t, x=x_of(t)) for t in ticks], left=left, right=left + width,
                axis_y=round(top + lane_h * len(lanes) + 8, 1), width=left + width + 40, height=height)


def _event_map(rows, colours: dict[str, str]) -> dict[str, Any]:
    proj = Projection.of_region(560)
    points = []
    for i, r in enumerate(rows, start=1):
        inside, _ = located([(r.longitude, r.latitude)], proj)
        if inside:
            points.append(dict(n=i, x=inside[0][0], y=inside[0][1], fill=colours.get(r.jurisdiction, "#495057"),
                               row=r))
    return dict(width=proj.width, height=proj.height, outlines=outline_paths(proj), points=points,
                path=" ".join(f"{p['x']},{p['y']}" for p in points),
                # a step of a gun's own history (traced, reported stolen...) is no placed event
                outside=sum(1 for r in rows if not r.firearm) - len(points))


@router.get("/intel/timeline", response_class=HTMLResponse)
def timeline_page(request: Request, session: SessionDep, settings: SettingsDep, viewer: ViewerDep) -> HTMLResponse:
    given = dict(request.query_params)
    ctx = dict(given=given, params=None, formats=list(FORMATS["timeline"]), timeline=None, choices=[], figure=None,
               event_map=None, error=None)
    try:
        scope = _scope(session, settings, viewer)
        data = load_case_load(session)
        session.commit()
        ctx["choices"] = _series_choices(data, scope)
        if not any((given.get(k) or "").strip() for k in TimelineParams.model_fields):
            return _page(request, viewer, "intel_timeline.html", "timeline", **ctx)
        params = parse(TimelineParams, given)
        ctx["params"] = params
        try:
            tl = gun_timeline(data, scope, **params.model_dump())
        except SubjectNotFound as exc:
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail=str(exc)) from None
        audit.record(session, viewer.user, "read", "intel", "timeline", **params.model_dump(mode="json"))
        session.commit()
    except HTTPException as exc:
        return _refused(request, viewer, "intel_timeline.html", "timeline", exc, **ctx)
    colours = _colours(r.jurisdiction for r in tl.rows)
    _ = translator(request, viewer)
    if params.case_id is not None:
        subject = _("Life of the series holding case %(ref)s") % {"ref": data.cases[params.case_id].reference}
    elif params.series_key is not None:
        subject = _("Life of series %(key)s") % {"key": params.series_key}
    elif params.firearm is not None:
        subject = _("Life of firearm %(name)s") % {"name": params.firearm}
    elif params.firearm_id is not None:
        subject = _("Life of firearm %(name)s") % {"name": environment(language(request, viewer)).globals["say"](
            tl.firearm_name)}
    else:
        subject = tl.subject
    ctx.update(subject=subject, timeline=tl, figure=_timeline_svg(tl.rows, colours), event_map=_event_map(tl.rows, colours),
               colours=colours, download=params.model_dump(mode="json", exclude_none=True))
    return _page(request, viewer, "intel_timeline.html", "timeline", **ctx)


# --- statistics and the cross-border matrix ------------------------------------------------


def _column_format(header: str) -> str:
    if header == "jurisdiction":
        return "text"
    if header.endswith("rate"):
        return "pct"
    if header.endswith(" d"):
        return "days"
    return "int"


@router.get("/intel/statistics", response_class=HTMLResponse)
def statistics_page(request: Request, session: SessionDep, settings: SettingsDep, viewer: ViewerDep) -> HTMLResponse:
    given = dict(request.query_params)
    headers = [dict(en=h, label=STAT_HEADERS.get(h), fmt=_column_format(h)) for h in STATS_COLUMNS]
    data_columns = list(range(1, len(headers)))
    n_parts = -(-len(data_columns) // 9)
    size = -(-len(data_columns) // max(n_parts, 1))
    parts = [data_columns[i:i + size] for i in range(0, len(data_columns), size)]
    ctx = dict(given=given, params=StatisticsParams(), formats=list(FORMATS["statistics"]), report=None, rows=[],
               yearly=[], headers=headers, column_parts=parts, period=None, error=None)
    try:
        scope = _scope(session, settings, viewer)
        params = parse(StatisticsParams, given)
        ctx["params"] = params
        data = load_case_load(session)
        session.commit()
        default = default_period(data)
        try:
            period = Period(params.start or default.start, params.end or default.end)
        except ValueError as exc:
            raise HTTPException(422, detail=str(exc)) from None
        report = statistics(data, scope, period)
        audit.record(session, viewer.user, "read", "intel", "statistics", **params.model_dump(mode="json"))
        session.commit()
    except HTTPException as exc:
        return _refused(request, viewer, "intel_stats.html", "statistics", exc, **ctx)
    yearly = []
    last_day = period.end - timedelta(days=1)
    if params.by_year and last_day.year > period.start.year:
        for year in Period.years(period.start.year, last_day.year):
            sub = statistics(data, scope, Period(max(year.start, period.start), min(year.end, period.end)))
            yearly.append(dict(year=year.start.year, rows=stats_rows(sub)))
    top = max((v for row in report.matrix for v in row if v), default=0)

    def level(v):
        if v is None or v == 0 or top == 0:
            return 0
        return 1 + min(3, int(4 * (v - 1) / top))

    matrix = [dict(code=code, cells=[dict(v=v, level=level(v), col=report.matrix_codes[j], diagonal=i == j)
                                     for j, v in enumerate(row)])
              for i, (code, row) in enumerate(zip(report.matrix_codes, report.matrix))]
    ctx.update(report=report, rows=stats_rows(report), yearly=yearly, matrix=matrix, period=period,
               last_day=last_day, download=params.model_dump(mode="json", exclude_none=True))
    return _page(request, viewer, "intel_stats.html", "statistics", **ctx)


# --- the map of events per jurisdiction ----------------------------------------------------


def _map_params(session, settings, viewer, given):
    scope = _scope(session, settings, viewer)
    params = parse(MapParams, given)
    data = load_case_load(session)
    return events_per_jurisdiction(data, scope, params)


SHADES = ["#eef1f4", "#d0e2f2", "#a9cbe8", "#7fb0dc", "#5c97cd"]


@router.get("/intel/map", response_class=HTMLResponse)
def map_page(request: Request, session: SessionDep, settings: SettingsDep, viewer: ViewerDep) -> HTMLResponse:
    given = dict(request.query_params)
    ctx = dict(given=given, kinds=[k.value for k in EventKind], result=None, error=None, formats=list(MAP_FORMATS))
    try:
        result = _map_params(session, settings, viewer, given)
        audit.record(session, viewer.user, "read", "intel", "events-map", **result.params.model_dump(mode="json"))
        session.commit()
    except HTTPException as exc:
        return _refused(request, viewer, "intel_map.html", "map", exc, **ctx)
    proj = Projection.of_region(620)
    top = max(result.by_country.values(), default=0)
    shapes = []
    for o in outline_paths(proj):
        n = result.by_country.get(o["iso"], 0)
        shade = 0 if n == 0 or top == 0 else 1 + min(3, int(4 * (n - 1) / top))
        codes = [r.code for r in result.rows if r.country == o["iso"]]
        shapes.append(dict(o, events=n, fill=SHADES[shade], jurisdictions=codes))
    query = urlencode({k: v for k, v in given.items() if k in MapParams.model_fields and v})
    ctx.update(result=result, shapes=shapes, width=proj.width, height=proj.height, shades=SHADES,
               query=query, off_map=[r for r in result.rows if not r.country], top=top)
    return _page(request, viewer, "intel_map.html", "map", **ctx)


@router.get("/intel/map.{fmt}")
def map_download(fmt: str, request: Request, session: SessionDep, settings: SettingsDep, viewer: ViewerDep) -> Response:
    try:
        if fmt not in MAP_FORMATS:
            raise HTTPException(404, detail=f"the map comes as {', '.join(MAP_FORMATS)}, not {fmt!r}")
        result = _map_params(session, settings, viewer, dict(request.query_params))
        audit.record(session, viewer.user, "download", "intel", "events-map", format=fmt,
                     **result.params.model_dump(mode="json"))
        session.commit()
    except HTTPException as exc:
        return error_page(request, viewer, exc)
    return Response(map_export(result, fmt), media_type=MAP_FORMATS[fmt], headers={
        "Content-Disposition": f'attachment; filename="events-by-jurisdiction.{fmt}"', "Cache-Control": "no-store"})


# --- firearms: by type, trafficking routes --------------------------------------------------


FIREARM_PRODUCTS = {
    "by-type": (intel_api.firearms_by_type, ("csv", "json")),
    "routes": (intel_api.trafficking_routes, ("csv", "json", "png")),
}


@router.get("/intel/firearms", response_class=HTMLResponse)
def firearms_page(request: Request, session: SessionDep, viewer: ViewerDep) -> HTMLResponse:
    try:
        need(viewer, "cases:read")
        by_type = intel_api.firearms_by_type(session, viewer.user, format="json")
        routes = intel_api.trafficking_routes(session, viewer.user, format="json")
    except HTTPException as exc:
        return error_page(request, viewer, exc)
    return _page(request, viewer, "intel_firearms.html", "firearms", by_type=by_type, routes=routes,
                 downloads={k: v[1] for k, v in FIREARM_PRODUCTS.items()})


@router.get("/intel/firearms/{name}.{fmt}")
def firearms_download(name: str, fmt: str, request: Request, session: SessionDep, viewer: ViewerDep,
                      inline: int = 0) -> Response:
    try:
        need(viewer, "cases:read")
        if name not in FIREARM_PRODUCTS or fmt not in FIREARM_PRODUCTS[name][1]:
            raise HTTPException(404, detail="no such product or format")
        out = FIREARM_PRODUCTS[name][0](session, viewer.user, format=fmt)
    except HTTPException as exc:
        return error_page(request, viewer, exc)
    if not isinstance(out, Response):
        out = Response(json.dumps(out, indent=1, default=str), media_type="application/json")
    out.headers["Cache-Control"] = "no-store"
    if not inline:
        out.headers["Content-Disposition"] = f'attachment; filename="firearms-{name}.{fmt}"'
    return out


# --- downloads of the stored reports ----------------------------------------------------------


@router.post("/intel/reports")
def download_report(
    request: Request, session: SessionDep, settings: SettingsDep, viewer: ViewerDep,
    kind: Annotated[str, Form(max_length=40)],
    format: Annotated[str, Form(max_length=16)],
    filtered: Annotated[str, Form(max_length=4)] = "",
    linked_only: Annotated[str, Form(max_length=8)] = "",
    include_events: Annotated[str, Form(max_length=8)] = "",
    include_open_leads: Annotated[str, Form(max_length=8)] = "",
    max_series_drawn: Annotated[str, Form(max_length=20)] = "",
    table: Annotated[str, Form(max_length=20)] = "",
    case_id: Annotated[str, Form(max_length=20)] = "",
    series_key: Annotated[str, Form(max_length=60)] = "",
    firearm: Annotated[str, Form(max_length=200)] = "",
    start: Annotated[str, Form(max_length=20)] = "",
    end: Annotated[str, Form(max_length=20)] = "",
    by_year: Annotated[str, Form(max_length=8)] = "",
    csrf_token: CsrfField = None,
) -> Response:
    """One product in one format, made and stored by the API's report functions, then downloaded."""
    given = dict(filtered=filtered, linked_only=linked_only, include_events=include_events,
                 include_open_leads=include_open_leads, max_series_drawn=max_series_drawn, table=table,
                 case_id=case_id, series_key=series_key, firearm=firearm, start=start, end=end, by_year=by_year)
    try:
        guard(request, settings, csrf_token)
        need(viewer, "hits:read")
        params = raw_params(PARAMS[kind], given) if kind in PARAMS else {}
        try:
            # The document in the reader's language (their setting, else Accept-Language), as
            # the page; the machine-readable formats ignore it and stay in English.
            body = reports_api.ReportRequest(kind=kind, format=format, params=params,
                                             lang=language(request, viewer))
        except ValidationError as exc:
            raise _fields_refused(exc) from None
        stored = reports_api.create_report(body, session, settings, viewer.user)
        response = reports_api.download_report(stored.id, session, settings, viewer.user)
    except HTTPException as exc:
        return error_page(request, viewer, exc)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Report-Id"] = str(stored.id)
    return response
