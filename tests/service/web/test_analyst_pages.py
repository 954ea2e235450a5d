"""The analyst's intelligence pages and the partner's serial query, without a browser.

The world is small and built through the API only (no scans, no runs, so it takes a
second): NORTH's N-10 and SOUTH's S-10 are one cross-border series, because test fires
of the same seized pistol were registered in both; SOUTH holds that pistol's record
(serial ZM70-123456); NORTH's N-12, SOUTH's S-11 and RS's R-2 are a second series (a CZ
75 seized in RS); RS is a jurisdiction the map draws as Serbia. The browser paths (an
analyst from sign-in through the link chart to a case, a partner's serial query) run on
the same world, in one Chromium for the module.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re

import httpx
import pytest

from service.intel.geo import LABEL_POINTS, country_of, region
from service.web.i18n import LANGUAGES, TRANSLATED, translations
from tests.service.conftest import LiveServer, Service, make_settings
from tests.service.web.conftest import page_client

GUN = "Zastava M70 No. A-123"
OTHER_GUN = "CZ 75 No. B-77"
SERIAL = "ZM70-123456"


RS_SERIAL = "M57-771203"
REGISTER_HEADER = "make,model,calibre,serial,country,date_reported\n"


class IntelWorld:
    def __init__(self, svc: Service, live: LiveServer, cases: dict[str, int], firearm_id: int, rs_firearm_id: int,
                 traces: dict[str, int]):
        self.svc, self.live, self.cases, self.firearm_id = svc, live, cases, firearm_id
        self.rs_firearm_id, self.traces = rs_firearm_id, traces

    @property
    def url(self) -> str:
        return self.live.url


def _case(svc, user, ref, events, exhibits=()):
    case = svc.ok(svc.post("/api/cases", user, json={"reference": ref, "title": f"case {ref}"}))
    ev_ids = []
    for ev in events:
        ev_ids.append(svc.ok(svc.post(f"/api/cases/{case['id']}/events", user, json=ev))["id"])
    for i, ex in enumerate(exhibits):
        svc.ok(svc.post(f"/api/cases/{case['id']}/exhibits", user,
                        json=dict(ex, lab_number=f"LAB-{ref}-{i}", event_id=ev_ids[0])))
    return case["id"]


@pytest.fixture(scope="module")
def intel_world(tmp_path_factory):
    root = tmp_path_factory.mktemp("intel")
    live = LiveServer(make_settings(f"sqlite:///{root / 'ballistics.db'}", root))
    with live:
        client = httpx.Client(base_url=live.url, timeout=60)
        svc = Service(client=client, settings=live.settings, live_app=live.app)
        ids = svc.world()
        rs = svc.ok(svc.post("/api/jurisdictions", "admin.north", json={"code": "RS", "name": "Serbia"}))["id"]
        svc.add_user("lab_submitter", "RS", rs)
        svc.add_user("analyst", "RS", rs)
        shooting = lambda day, lat, lon, place: dict(kind="shooting", date_from=day, location=place,  # noqa: E731
                                                     latitude=lat, longitude=lon, location_precision="street")
        test_fire = dict(kind="test_fire", firearm=GUN)
        cases = {
            "N-10": _case(svc, "lab_submitter.north", "N-10", [shooting("2023-05-02", 44.81, 20.46, "Knez Mihailova")],
                          [dict(kind="cartridge_case"), test_fire]),
            "N-11": _case(svc, "lab_submitter.north", "N-11", [shooting("2024-01-20", 42.0, 21.43, "Bit Pazar")]),
            "S-10": _case(svc, "lab_submitter.south", "S-10", [shooting("2024-02-11", 43.86, 18.41, "Baščaršija")],
                          [test_fire]),
            "R-1": _case(svc, "lab_submitter.rs", "R-1", [dict(kind="seizure", date_from="2024-03-03",
                                                               location="Novi Sad", latitude=45.25, longitude=19.84,
                                                               location_precision="city")]),
            # A second series over three jurisdictions: test fires of a CZ 75 seized in RS.
            "N-12": _case(svc, "lab_submitter.north", "N-12", [shooting("2024-04-05", 43.32, 21.90, "Obrenovićeva")],
                          [dict(kind="test_fire", firearm=OTHER_GUN)]),
            "S-11": _case(svc, "lab_submitter.south", "S-11", [shooting("2024-05-06", 43.34, 17.81, "Stari most")],
                          [dict(kind="test_fire", firearm=OTHER_GUN)]),
            "R-2": _case(svc, "lab_submitter.rs", "R-2", [dict(kind="seizure", date_from="2024-06-01",
                                                               location="Subotica", latitude=46.10, longitude=19.67,
                                                               location_precision="street")],
                         [dict(kind="test_fire", firearm=OTHER_GUN)]),
        }
        gun = svc.ok(svc.post(f"/api/cases/{cases['S-10']}/firearms", "lab_submitter.south",
                              json={"kind": "pistol", "make": "Zastava", "model": "M70", "calibre": "7.65 mm",
                                    "serial_number": SERIAL, "country_of_manufacture": "RS"}))
        # Outside every series: RS's seized M57, for the partner's requests and answers over HTTP
        # (SOUTH's pistol is the browser's). Each gun is on a lost-and-stolen register and has
        # a trace request addressed to PARTNER.
        rs_gun = svc.ok(svc.post(f"/api/cases/{cases['R-1']}/firearms", "lab_submitter.rs",
                                 json={"kind": "pistol", "make": "Zastava", "model": "M57", "calibre": "7.62x25 mm",
                                       "serial_number": RS_SERIAL, "country_of_manufacture": "RS"}))
        traces = {}
        for who, firearm_id in (("lab_submitter.south", gun["id"]), ("lab_submitter.rs", rs_gun["id"])):
            traces[who.split(".")[1]] = svc.ok(svc.post(f"/api/firearms/{firearm_id}/traces", who, json={
                "target": "partner_jurisdiction", "partner_jurisdiction_id": ids["PARTNER"],
                "question": "licence or transfer on record?", "deadline": "2999-01-01"}))["id"]
        svc.ok(svc.client.post("/api/registers/interpol-demo/imports", headers=svc.as_("analyst.south"), files={
            "file": ("stolen.csv", (REGISTER_HEADER + f"Zastava,M70,7.65,{SERIAL},BA,2022-04-01\n"
                                    f"Zastava,M57,7.62,{RS_SERIAL},RS,2021-09-30\n").encode())}))
        yield IntelWorld(svc, live, cases, gun["id"], rs_gun["id"], traces)
        client.close()


def test_the_outlines_hold_each_capital_and_label_in_their_own_country_only():
    capitals = {"AL": (19.82, 41.33), "BA": (18.41, 43.86), "XK": (21.17, 42.66), "MD": (28.86, 47.01),
                "ME": (19.26, 42.44), "RS": (20.45, 44.79), "MK": (21.43, 42.0)}

    def inside(pt, ring):
        x, y, c = pt[0], pt[1], False
        for (x1, y1), (x2, y2) in zip(ring, ring[1:]):
            if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
                c = not c
        return c

    features = region()["features"]
    assert sorted(f["properties"]["iso_a2"] for f in features) == sorted(capitals)
    for f in features:
        iso, ring = f["properties"]["iso_a2"], f["geometry"]["coordinates"][0]
        assert ring[0] == ring[-1] and len(ring) >= 10
        area = sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in zip(ring, ring[1:])) / 2
        assert area > 0, f"{iso}: RFC 7946 wants the exterior ring counter-clockwise"
        for other, point in capitals.items():
            assert inside(point, ring) == (other == iso), (iso, other)
            assert inside(LABEL_POINTS[other], ring) == (other == iso), ("label", iso, other)
    assert (country_of("RS"), country_of("srb"), country_of("X", "Crna Gora"), country_of("KOS")) == ("RS", "RS", "ME", "XK")
    assert country_of("NORTH", "Northshire") is None


def test_the_analyst_sees_the_link_chart_with_the_case_a_click_opens(intel_world):
    c = page_client(intel_world, "analyst.north")
    r = c.get("/review/home")
    assert r.headers["location"] == "/review/intel/link-chart"
    r = c.get("/review/intel/link-chart")
    assert r.status_code == 200, r.text
    data = json.loads(re.search(r'<script type="application/json" id="chart-data">(.*?)</script>', r.text, re.S).group(1))
    by_label = {n["label"]: n for n in data["nodes"]}
    own = by_label["N-10"]
    assert own["url"] == f"/review/cases/{intel_world.cases['N-10']}" and own["kind"] == "case"
    assert by_label[GUN]["kind"] == "firearm" and by_label[GUN]["url"].startswith("/review/intel/timeline?firearm=")
    # SOUTH's case is in the series but not disclosed: an opaque reference, no link, no title.
    opaque = [n for n in data["nodes"] if n["kind"] == "case" and n["label"] not in ("N-10", "N-12")]
    assert len(opaque) == 3 and all(n["hollow"] and not n["url"] for n in opaque)
    assert not re.search(r"(?<![\w-])(S-10|R-2)(?![\w-])", r.text)
    # SOUTH's firearm record joins the series through its case (registered_in), as an opaque gun.
    assert {e["link"] for e in data["edges"]} == {"firearm", "event", "registered_in"}
    (record,) = [n for n in data["nodes"] if n["kind"] == "firearm" and n["label"].startswith("FA-")]
    assert not record["url"] and SERIAL not in r.text
    assert 'data-testid="series-table"' in r.text and "N-11" not in r.text
    # Unticking "linked only" adds the unlinked case; a bad value gets the model's refusal on the page.
    r = c.get("/review/intel/link-chart?filtered=1&include_events=1")
    assert "N-11" in r.text
    r = c.get("/review/intel/link-chart?max_series_drawn=900")
    assert r.status_code == 422 and "max_series_drawn" in r.text and 'id="f-max"' in r.text


def test_the_link_chart_names_guns_traces_and_alerts_in_the_readers_language(intel_world):
    """The graph keeps English (its GraphML and CSV downloads say what the API says); the
    page says a gun's name, its trace requests and alerts and their facts in the reader's words."""
    c = page_client(intel_world, "analyst.south")
    chart = lambda lang: json.loads(re.search(  # noqa: E731
        r'<script type="application/json" id="chart-data">(.*?)</script>',
        c.get("/review/intel/link-chart", headers={"Accept-Language": lang}).text, re.S).group(1))
    en = {n["id"]: n for n in chart("en")["nodes"]}
    gun = en[f"firearm:#{intel_world.firearm_id}"]
    assert gun["label"] == f"Zastava M70 s/n {SERIAL} (firearm {intel_world.firearm_id})"
    (trace,) = [n for n in en.values() if n["kind"] == "trace"]
    assert trace["label"] == "trace to PARTNER (sent)" and trace["kind_name"] == "trace request"
    for code in TRANSLATED:
        _ = translations(code).gettext
        nodes = {n["id"]: n for n in chart(LANGUAGES[code].tag)["nodes"]}
        assert nodes[gun["id"]]["label"] == _("%(name)s s/n %(serial)s (firearm %(id)s)") % {
            "name": "Zastava M70", "serial": SERIAL, "id": intel_world.firearm_id}, code
        t = nodes[trace["id"]]
        assert t["label"] == _("trace to %(to)s (%(status)s)") % {"to": "PARTNER", "status": _("sent")}, code
        assert t["kind_name"] == _("trace request") != "trace request"
        facts = dict(t["facts"])
        assert facts[_("Deadline")] != "2999-01-01" and "2999" in facts[_("Deadline")], (code, facts)
        assert facts[_("Addressed to")] == _("partner jurisdiction"), (code, facts)
        (alert,) = [n for n in nodes.values() if n["kind"] == "stolen_alert"]
        assert alert["label"] == _("on lost-and-stolen register %(register)s") % {"register": "interpol-demo"}


def test_every_download_format_of_each_product_matches_the_api(intel_world):
    svc = intel_world.svc
    c = page_client(intel_world, "analyst.north")
    wanted = {
        "link_chart": ({"filtered": "1", "linked_only": "1", "include_events": "1", "table": "nodes"},
                       ["html", "pdf", "graphml", "csv"]),
        "timeline": ({"case_id": str(intel_world.cases["N-10"])}, ["html", "pdf", "geojson", "csv"]),
        "statistics": ({"filtered": "1", "start": "2023-01-01", "end": "2025-01-01"}, ["html", "pdf", "csv", "json"]),
    }
    for kind, (params, formats) in wanted.items():
        for fmt in formats:
            r = c.post("/review/intel/reports", data=dict(params, kind=kind, format=fmt))
            assert r.status_code == 200, (kind, fmt, r.text[:300])
            assert r.headers["content-disposition"].startswith("attachment") and len(r.content) > 50
            # The API has the same report on record, with the same bytes.
            stored = svc.ok(svc.get(f"/api/reports/{r.headers['x-report-id']}", "analyst.north"))
            assert (stored["kind"], stored["format"], stored["sha256"]) == (kind, fmt, r.headers["x-content-sha256"])
    nodes = list(csv.DictReader(io.StringIO(c.post("/review/intel/reports", data=dict(
        wanted["link_chart"][0], kind="link_chart", format="csv")).text)))
    assert {n["kind"] for n in nodes} == {"case", "event", "firearm"}
    # A format the product lacks, and a post without the form's token: the API's 422, the CSRF 403.
    r = c.post("/review/intel/reports", data={"kind": "statistics", "format": "geojson"})
    assert r.status_code == 422 and "statistics" in r.text
    assert c.post("/review/intel/reports", data={"kind": "statistics", "format": "csv"}, csrf=False).status_code == 403


def test_life_of_a_gun_statistics_and_the_map(intel_world):
    c = page_client(intel_world, "analyst.north")
    case_page = c.get(f"/review/cases/{intel_world.cases['N-10']}").text
    link = re.search(r'href="(/review/intel/timeline\?case_id=\d+)"', case_page).group(1)
    r = c.get(link)
    assert r.status_code == 200
    assert 'data-testid="timeline-figure"' in r.text and r.text.count('class="mark"') >= 4  # 2 events, figure + map
    assert "Knez Mihailova" in r.text and "Baščaršija" not in r.text  # SOUTH's scene is not disclosed
    r = c.get(f"/review/intel/timeline?firearm={GUN}")
    assert r.status_code == 200 and "NORTH, SOUTH" in r.text
    r = c.get("/review/intel/timeline?firearm=nothing-like-it")
    assert r.status_code == 404 and "firearm not found" in r.text
    assert c.get("/review/intel/timeline?firearm=x&series_key=y").status_code == 422

    r = c.get("/review/intel/statistics?filtered=1&start=2023-01-01&end=2025-01-01&by_year=1")
    assert r.status_code == 200
    assert 'data-testid="stats-year-2023"' in r.text and 'data-testid="stats-year-2024"' in r.text
    assert re.search(r'data-testid="matrix"', r.text)
    assert c.get("/review/intel/statistics?start=2024-01-01&end=2023-01-01").status_code == 422

    r = c.get("/review/intel/map")
    assert r.status_code == 200
    assert 'data-country="RS" data-events="2"' in r.text and 'data-country="MD" data-events="0"' in r.text
    assert 'data-jurisdiction="NORTH"' in r.text  # listed beside the map
    # ... in its own table beside the map: the codes that name no country and have no map region.
    off_map = re.search(r'<table class="grid" data-testid="off-map">(.*?)</table>', r.text, re.S).group(1)
    assert re.findall(r'data-jurisdiction="(\w+)"', off_map) == ["NORTH", "SOUTH"] and "<caption>" in off_map
    r = c.get("/review/intel/map?kind=shooting")
    assert 'data-country="RS" data-events="0"' in r.text
    rows = list(csv.DictReader(io.StringIO(c.get("/review/intel/map.csv").text)))
    assert {r["jurisdiction"]: int(r["events"]) for r in rows} == {"NORTH": 3, "RS": 2, "SOUTH": 2}
    geo = json.loads(c.get("/review/intel/map.geojson?start=2024-01-01").content)
    assert {f["properties"]["iso_a2"]: f["properties"]["events"] for f in geo["features"]}["RS"] == 2
    assert geo["properties"]["off_the_map"] == {"NORTH": 2, "SOUTH": 2}
    assert c.get("/review/intel/map?kind=duel").status_code == 422

    r = c.get("/review/intel/firearms")
    assert r.status_code == 200 and 'data-testid="routes"' in r.text
    png = c.get("/review/intel/firearms/routes.png")
    assert png.headers["content-type"] == "image/png" and png.content[:4] == b"\x89PNG"


def test_the_administrator_gives_a_jurisdiction_its_map_region_and_the_map_draws_it(intel_world):
    """SOUTH's code names no country: the administrator sets its map region on the admin
    page (the API's PATCH underneath), and the map draws SOUTH's events there; NORTH stays
    listed beside the map. A region the map has not, or another role, is refused."""
    svc = intel_world.svc
    admin = page_client(intel_world, "admin.north")
    page = admin.get("/review/admin").text
    south = next(j for j in svc.ok(svc.get("/api/jurisdictions", "admin.north")) if j["code"] == "SOUTH")
    assert 'data-testid="map-region-form-SOUTH"' in page and south["map_region"] is None
    bad = admin.post(f"/review/admin/jurisdictions/{south['id']}", data={"map_region": "FR"})
    assert bad.status_code == 422 and "map_region" in bad.text and 'data-testid="form-error"' in bad.text
    huge = admin.post(f"/review/admin/jurisdictions/{2**40}", data={"map_region": "BA"})
    assert huge.status_code == 422 and 'data-testid="refusal"' in huge.text  # an id no database holds: a page
    assert admin.post("/review/admin/jurisdictions/999999", data={"map_region": "BA"}).status_code == 404
    assert admin.post(f"/review/admin/jurisdictions/{south['id']}", data={"map_region": "BA"},
                      csrf=False).status_code == 403
    analyst = page_client(intel_world, "analyst.north")
    r = analyst.post(f"/review/admin/jurisdictions/{south['id']}", data={"map_region": "BA"})
    assert r.status_code == 403 and "Traceback" not in r.text
    try:
        r = admin.post(f"/review/admin/jurisdictions/{south['id']}", data={"map_region": "ba"})
        assert r.status_code == 303
        page = admin.get(r.headers["location"]).text
        assert 'data-jurisdiction="SOUTH" data-map-region="BA"' in page
        assert svc.ok(svc.get("/api/jurisdictions", "analyst.north"))[1]["map_region"] == "BA"
        r = analyst.get("/review/intel/map")
        assert 'data-country="BA" data-events="2"' in r.text
        off_map = re.search(r'data-testid="off-map">(.*?)</table>', r.text, re.S).group(1)
        assert re.findall(r'data-jurisdiction="(\w+)"', off_map) == ["NORTH"]
        rows = {row["jurisdiction"]: row for row in csv.DictReader(io.StringIO(analyst.get("/review/intel/map.csv").text))}
        assert rows["SOUTH"]["country"] == "BA" and rows["NORTH"]["country"] == ""
        # In another language, the region's name is the reader's.
        page = admin.get("/review/admin", headers={"Accept-Language": "sq"}).text
        assert f'<option value="BA" selected>{html.escape(translations("sq").gettext("Bosnia and Herzegovina"))}</option>' in page
    finally:
        r = admin.post(f"/review/admin/jurisdictions/{south['id']}", data={"map_region": ""})
        assert r.status_code == 303
    assert svc.ok(svc.get("/api/jurisdictions", "analyst.north"))[1]["map_region"] is None
    entries = svc.ok(svc.get("/api/audit?limit=5000", "auditor.north"))
    assert [e["detail"] for e in entries if e["action"] == "update" and e["resource"] == "jurisdiction"][-2:] == [
        '{"map_region":"BA"}', '{"map_region":""}']


def test_roles_without_intelligence_get_the_apis_refusal(intel_world):
    svc = intel_world.svc
    for username, scope in (("lab_submitter.north", "hits:read"), ("auditor.north", "hits:read")):
        c = page_client(intel_world, username)
        for path in ("/review/intel/link-chart", "/review/intel/statistics", "/review/intel/map",
                     "/review/intel/timeline"):
            r = c.get(path)
            assert r.status_code == 403 and scope in r.text and "Traceback" not in r.text, (username, path)
        assert svc.post("/api/reports", username, json={"kind": "statistics"}).status_code == 403
    assert page_client(intel_world, "auditor.north").get("/review/intel/firearms").status_code == 403


def test_a_partner_queries_a_serial_and_sees_hit_or_no_hit_only(intel_world):
    svc = intel_world.svc
    c = page_client(intel_world, "partner.partner")
    r = c.post("/review/partner/serial", data={"serial": "zm70 I23456", "mode": "exact"})  # look-alike I for 1
    assert r.status_code == 200
    assert 'data-hit="1"' in r.text and "held by SOUTH" in r.text
    ref = svc.ok(svc.get(f"/api/cases/{intel_world.cases['S-10']}", "lab_submitter.south"))["opaque_reference"]
    assert ref in r.text
    for secret in ("S-10", "Zastava", "7.65", "pistol"):
        assert secret not in r.text.split('data-testid="serial-result"')[1].split("</section>")[0], secret
    api = svc.ok(svc.get("/api/firearms/search", "partner.partner", params={"serial": "zm70 I23456"}))
    assert api["hit"] and api["matches"][0]["firearm"] is None
    r = c.post("/review/partner/serial", data={"serial": "ZM70-99999?", "mode": "wildcard"})
    assert 'data-hit="0"' in r.text
    r = c.post("/review/partner/serial", data={"serial": "--", "mode": "exact"})
    assert r.status_code == 422 and 'data-testid="serial-error"' in r.text
    assert c.post("/review/partner/serial", data={"serial": SERIAL}, csrf=False).status_code == 403


def test_a_gun_record_is_asked_for_decided_traced_and_its_alert_acknowledged_on_the_pages(intel_world):
    """A partner asks RS for the record behind a serial hit and answers RS's trace request;
    RS approves on its disclosures page and acknowledges the stolen alert on its case page.
    Each step is the API's function: the API sees the result, and refuses what it refuses."""
    svc, w = intel_world.svc, intel_world
    p = page_client(w, "partner.partner")
    r = p.post("/review/partner/serial", data={"serial": RS_SERIAL, "mode": "exact"})
    ref = svc.ok(svc.get(f"/api/cases/{w.cases['R-1']}", "lab_submitter.rs"))["opaque_reference"]
    assert f'data-testid="firearm-disclosure-form-{ref}"' in r.text and "Zastava" not in r.text
    form = dict(serial=RS_SERIAL, mode="exact", opaque_reference=ref, justification="")
    assert p.post("/review/partner/firearm-disclosures", data=form).status_code == 422  # no justification
    bad = p.post("/review/partner/firearm-disclosures", data=dict(form, serial="M57-000000", justification="x"))
    assert bad.status_code == 404 and 'data-testid="disclosure-error"' in bad.text and "Traceback" not in bad.text
    assert p.post("/review/partner/firearm-disclosures", data=dict(form, justification="x"), csrf=False).status_code == 403
    r = p.post("/review/partner/firearm-disclosures", data=dict(form, justification="seized at our border"))
    assert r.status_code == 303 and "fd_requested=" in r.headers["location"]
    page = p.get(r.headers["location"]).text
    (fd,) = [d for d in svc.ok(svc.get("/api/firearm-disclosures", "partner.partner")) if d["query"] == RS_SERIAL]
    assert fd["status"] == "requested" and f'data-disclosure="{fd["id"]}" data-status="requested"' in page
    again = p.post("/review/partner/firearm-disclosures", data=dict(form, justification="again"))
    assert again.status_code == 409 and "already requested" in again.text

    # RS decides on its page; another jurisdiction's analyst, and the partner, are refused as by the API.
    a = page_client(w, "analyst.rs")
    page = a.get("/review/disclosures").text
    assert f'data-testid="decide-firearm-{fd["id"]}"' in page and "seized at our border" in page
    assert page_client(w, "analyst.south").post(f"/review/firearm-disclosures/{fd['id']}/decision",
                                                 data={"decision": "approve"}).status_code == 404
    r = p.post(f"/review/firearm-disclosures/{fd['id']}/decision", data={"decision": "approve"})
    assert r.status_code == 403 and "disclosures:approve" in r.text
    assert a.post(f"/review/firearm-disclosures/{fd['id']}/decision", data={"decision": "approve"},
                  csrf=False).status_code == 403
    r = a.post(f"/review/firearm-disclosures/{fd['id']}/decision", data={"decision": "approve", "reason": "joint case"})
    assert r.status_code == 303
    assert svc.ok(svc.get("/api/firearm-disclosures", "analyst.rs"))[-1]["status"] == "approved"
    late = a.post(f"/review/firearm-disclosures/{fd['id']}/decision", data={"decision": "refuse"})
    assert late.status_code == 409 and "already approved" in late.text
    # The partner now sees the record, in its list and in its queries.
    assert f'data-testid="disclosed-record-{fd["id"]}"' in p.get("/review/partner").text
    r = p.post("/review/partner/serial", data={"serial": RS_SERIAL, "mode": "exact"})
    assert 'data-testid="disclosed-record"' in r.text and "7.62x25 mm" in r.text

    # The trace request RS addressed to PARTNER, answered on the partner's page.
    trace = w.traces["rs"]
    page = p.get("/review/incoming-traces").text
    assert f'data-testid="answer-form-{trace}"' in page and RS_SERIAL in page and "R-1" not in page
    assert p.post(f"/review/incoming-traces/{trace}/answer", data={"status": "no_record", "answer": ""}).status_code == 422
    r = p.post(f"/review/incoming-traces/{trace}/answer",
               data={"status": "no_record", "answer": "not in our weapons register"})
    assert r.status_code == 303
    r = p.post(f"/review/incoming-traces/{trace}/documents",
               files={"file": ("extract.txt", b"register extract")}, data={"csrf_token": p.csrf()})
    assert r.status_code == 303, r.text
    page = p.get("/review/incoming-traces").text
    assert f'data-trace="{trace}" data-status="no_record"' in page and "extract.txt" in page
    again = p.post(f"/review/incoming-traces/{trace}/answer", data={"status": "answered", "answer": "x"})
    assert again.status_code == 409 and 'data-testid="form-error"' in again.text
    t = svc.ok(svc.get(f"/api/firearms/{w.rs_firearm_id}/traces", "lab_submitter.rs"))[0]
    assert (t["status"], t["answer"], t["answered_by_jurisdiction"]) == ("no_record", "not in our weapons register",
                                                                         "PARTNER")
    assert page_client(w, "lab_submitter.south").get("/review/incoming-traces").status_code == 403

    # RS's lost-and-stolen alert, acknowledged on the case page with a note; it stays listed.
    s = page_client(w, "lab_submitter.rs")
    page = s.get(f"/review/cases/{w.cases['R-1']}").text
    (alert,) = svc.ok(svc.get(f"/api/cases/{w.cases['R-1']}/alerts", "lab_submitter.rs"))
    assert f'data-testid="ack-form-{alert["id"]}"' in page and "interpol-demo" in page
    assert page_client(w, "lab_submitter.south").post(f"/review/alerts/{alert['id']}/acknowledge",
                                                       data={"note": "x"}).status_code == 404
    r = s.post(f"/review/alerts/{alert['id']}/acknowledge", data={"note": "owner informed"})
    assert r.status_code == 303 and f"#alert-{alert['id']}" in r.headers["location"]
    page = s.get(r.headers["location"].split("#")[0]).text
    assert f'data-alert="{alert["id"]}" data-acknowledged="1"' in page and "owner informed" in page
    again = s.post(f"/review/alerts/{alert['id']}/acknowledge", data={"note": "again"})
    assert again.status_code == 409 and "already acknowledged" in again.text
    assert svc.ok(svc.get(f"/api/cases/{w.cases['R-1']}/alerts", "lab_submitter.rs"))[0]["acknowledgement_note"] == \
        "owner informed"

    # The life of that gun, as RS sees it: its own history with what happened, each kind translated.
    r = a.get(f"/review/intel/timeline?firearm_id={w.rs_firearm_id}")
    rows = dict(re.findall(r'<tr data-kind="(\w+)">(.*?)</tr>', r.text, re.S))
    assert {"firearm_recovered", "trace_sent", "trace_no_record", "stolen_reported", "stolen_alert",
            "stolen_alert_acknowledged"} <= set(rows), sorted(rows)
    assert "no record held by PARTNER" in rows["trace_no_record"] and "Zastava M57" in rows["trace_sent"]
    for code in TRANSLATED:
        r = a.get(f"/review/intel/timeline?firearm_id={w.rs_firearm_id}",
                  headers={"Accept-Language": LANGUAGES[code].tag})
        rows = dict(re.findall(r'<tr data-kind="(\w+)">(.*?)</tr>', r.text, re.S))
        _ = translations(code).gettext
        for kind, words in (("trace_no_record", "trace request: no record held"),
                            ("stolen_alert_acknowledged", "lost-and-stolen alert acknowledged")):
            assert _(words) != words and html.escape(_(words)) in rows[kind], (code, kind)
        # What happened, and the gun's name, are said in the reader's language too (no English left).
        said = re.search(r'data-testid="row-summary">(.*?)</td>', rows["trace_no_record"], re.S).group(1)
        assert said == html.escape(_("trace request %(id)s: no record held by %(by)s")
                                   % {"id": trace, "by": "PARTNER"}), (code, said)
        name = re.search(r'data-testid="row-firearm">(.*?)</td>', rows["trace_sent"], re.S).group(1)
        assert name == html.escape(_("%(name)s s/n %(serial)s (firearm %(id)s)")
                                   % {"name": "Zastava M57", "serial": RS_SERIAL, "id": w.rs_firearm_id}), (code, name)
        assert "no record held" not in rows["trace_no_record"] and "(firearm " not in r.text, code
    # The case page with its firearm and acknowledged alert, in another language.
    page = s.get(f"/review/cases/{w.cases['R-1']}", headers={"Accept-Language": "mk"}).text
    assert translations("mk").gettext("Lost-and-stolen alerts") in page


# --- in the real browser -----------------------------------------------------------------

from tests.service.web.test_roles_browser import (  # noqa: E402,F401  (browser: the module's one Chromium)
    _context, browser, check_accessibility, set_language_cookie, shot, sign_in_with_the_keyboard,
)

INTEL_PAGES = {
    "intel_timeline": "/review/intel/timeline?firearm=" + GUN.replace(" ", "+"),
    "intel_statistics": "/review/intel/statistics?filtered=1&start=2023-01-01&end=2025-01-01&by_year=1",
    "intel_map": "/review/intel/map",
    "intel_firearms": "/review/intel/firearms",
    "intel_link_chart": "/review/intel/link-chart",
}


@pytest.mark.slow
def test_an_analyst_opens_the_link_chart_and_clicks_through_to_a_case(intel_world, browser, tmp_path):
    url, case_id = intel_world.url, intel_world.cases["N-10"]
    ctx, page = _context(browser)
    try:
        page.goto(f"{url}/review/home")
        sign_in_with_the_keyboard(page, url, "analyst.north", intel_world.svc.passwords["analyst.north"])
        assert page.url == f"{url}/review/intel/link-chart"
        chart = page.locator("#link-chart")
        page.wait_for_selector("#link-chart[data-ready='1']")
        check_accessibility(page, "link chart")
        # Zoom and pan with the keyboard: the view box changes, the nodes stay.
        before = chart.get_attribute("viewBox")
        chart.focus()
        page.keyboard.press("+")
        page.keyboard.press("ArrowRight")
        assert chart.get_attribute("viewBox") != before
        page.keyboard.press("0")
        assert chart.get_attribute("viewBox") == before
        # Tab goes into the nodes, cases first; a case not disclosed shows its opaque reference, no link.
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.dataset.kind") == "case"
        page.focus('#link-chart g[role="button"][data-kind="case"]')
        page.keyboard.press("Enter")
        assert "REF-" in page.inner_text('[data-testid="node-details"]')
        assert page.locator('[data-testid="node-details"] a').count() == 0
        # A node reached with the keyboard shows its details; the firearm that links the series is there.
        node = page.locator(f'#link-chart a[data-case-id="{case_id}"]')
        node.focus()
        details = page.locator('[data-testid="node-details"]')
        assert "N-10" in details.inner_text() and "NORTH" in details.inner_text()
        assert page.locator('#link-chart [data-kind="firearm"]').count() == 3  # two test-fired guns, SOUTH's record
        shot(page, tmp_path, "analyst_link_chart_en")
        # Clicking the node opens the case.
        with page.expect_navigation():
            node.locator(".shape").click()  # its mark: labels take no clicks (one may lie over another node)
        assert page.url == f"{url}/review/cases/{case_id}"
        assert "N-10" in page.inner_text("h1")
        check_accessibility(page, "case from the chart")
        # The case leads to the life of its gun; every product page, in every language.
        with page.expect_navigation():
            page.click('[data-testid="case-timeline"]')
        assert page.locator('[data-testid="timeline-events"] tbody tr').count() == 2
        for code, lang in LANGUAGES.items():
            set_language_cookie(ctx, url, code)
            _ = translations(code).gettext
            for name, path in INTEL_PAGES.items():
                page.goto(url + path)
                assert page.get_attribute("html", "lang") == lang.tag, (code, name)
                assert _("Intelligence") in page.inner_text("header.top nav"), (code, name)
                check_accessibility(page, f"{name} {code}")
                if code == "en" or (code, name) in (("sr_Cyrl", "intel_map"), ("sq", "intel_statistics"),
                                                    ("mk", "intel_timeline"), ("sr_Latn", "intel_link_chart")):
                    shot(page, tmp_path, f"{name}_{code}")
    finally:
        ctx.close()


@pytest.mark.slow
def test_a_partner_queries_a_serial_number_in_the_browser(intel_world, browser, tmp_path):
    """A partner's serial hit, the gun record asked for and a trace request answered, with
    the keyboard; then SOUTH approves on its disclosures page and acknowledges the stolen
    alert on its case page. Every page in every language, checked by axe-core."""
    svc, url = intel_world.svc, intel_world.url
    trace = intel_world.traces["south"]
    ctx, page = _context(browser)
    try:
        page.goto(f"{url}/review/home")
        sign_in_with_the_keyboard(page, url, "partner.partner", svc.passwords["partner.partner"])
        assert page.url == f"{url}/review/partner"
        # Keyboard only: the serial as read off the gun (look-alike O for 0), Enter submits.
        page.focus("#serial")
        page.keyboard.type("ZM7O 123456")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        result = page.locator('[data-testid="serial-result"]')
        assert result.get_attribute("data-hit") == "1" and "SOUTH" in result.inner_text()
        assert "Zastava" not in result.inner_text()
        check_accessibility(page, "partner serial hit")
        shot(page, tmp_path, "partner_serial_hit_en")
        # Ask SOUTH for the gun record behind the hit: type the reason, Tab to the button, Enter.
        page.focus('[data-testid^="firearm-disclosure-form-"] textarea')
        page.keyboard.type("Same serial on a pistol seized at our border crossing")
        page.keyboard.press("Tab")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert "requested" in page.inner_text('[data-testid="flash"]')
        (fd,) = [d for d in svc.ok(svc.get("/api/firearm-disclosures", "partner.partner")) if d["query"] == "ZM7O 123456"]
        assert page.locator(f'#firearm-disclosure-{fd["id"]}').get_attribute("data-status") == "requested"
        page.fill("#serial", "ZM70-99*")
        page.select_option("#serial-mode", "wildcard")
        with page.expect_navigation():
            page.click('[data-testid="serial-form"] button[type="submit"]')
        assert page.locator('[data-testid="serial-result"]').get_attribute("data-hit") == "0"
        # The trace request SOUTH addressed to PARTNER: answered with the keyboard.
        with page.expect_navigation():
            page.click('[data-testid="open-traces"] a')
        check_accessibility(page, "incoming traces")
        page.focus(f"#answer-text-{trace}")
        page.keyboard.type("Imported 2019 by a licensed dealer; transfer record attached")
        page.keyboard.press("Tab")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert page.locator(f"#trace-{trace}").get_attribute("data-status") == "answered"
        shot(page, tmp_path, "partner_incoming_traces_en")
        for code, lang in LANGUAGES.items():
            set_language_cookie(ctx, url, code)
            for path in ("/review/partner", "/review/incoming-traces"):
                page.goto(url + path)
                assert page.get_attribute("html", "lang") == lang.tag
                assert translations(code).gettext("Trace requests to answer") in page.inner_text("main")
                check_accessibility(page, f"{path} {code}")
    finally:
        ctx.close()

    # SOUTH: the request on its disclosures page (a new page: every language), the gun's life
    # and the alert on its case page (changed pages: their other languages are checked over HTTP).
    case_id = intel_world.cases["S-10"]
    (alert,) = svc.ok(svc.get(f"/api/cases/{case_id}/alerts", "analyst.south"))
    ctx, page = _context(browser)
    try:
        page.goto(f"{url}/review/disclosures")
        sign_in_with_the_keyboard(page, url, "analyst.south", svc.passwords["analyst.south"])
        assert page.url == f"{url}/review/disclosures"
        for code, lang in LANGUAGES.items():
            set_language_cookie(ctx, url, code)
            page.goto(f"{url}/review/disclosures")
            assert page.get_attribute("html", "lang") == lang.tag
            assert page.inner_text("h1") == translations(code).gettext("Disclosures")
            check_accessibility(page, f"disclosures {code}")
        set_language_cookie(ctx, url, "en")
        page.goto(f"{url}/review/intel/timeline?firearm_id={intel_world.firearm_id}")
        answered = page.locator('[data-testid="timeline-events"] tr[data-kind="trace_answered"]')
        assert "answered by PARTNER" in answered.inner_text()
        check_accessibility(page, "timeline of a gun's own history")
        shot(page, tmp_path, "intel_timeline_gun_history_en")
        page.goto(f"{url}/review/disclosures")
        assert "Same serial on a pistol" in page.inner_text(f"#firearm-disclosure-{fd['id']}")
        shot(page, tmp_path, "owner_disclosures_en")
        page.focus(f"#reason-firearm-{fd['id']}")
        page.keyboard.type("Joint investigation agreed")
        page.keyboard.press("Tab")  # to Approve
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert page.locator(f"#firearm-disclosure-{fd['id']}").get_attribute("data-status") == "approved"
        assert svc.ok(svc.get("/api/firearm-disclosures", "partner.partner"))[-1]["firearm"]["make"] == "Zastava"
        # The alert: a note, Enter acknowledges; it stays listed, as acknowledged.
        page.goto(f"{url}/review/cases/{case_id}")
        check_accessibility(page, "case with a lost-and-stolen alert")
        page.focus(f"#ack-note-{alert['id']}")
        page.keyboard.type("Owner informed; register entry confirmed")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        item = page.locator(f"#alert-{alert['id']}")
        assert item.get_attribute("data-acknowledged") == "1" and "Owner informed" in item.inner_text()
        shot(page, tmp_path, "owner_case_alert_en")
    finally:
        ctx.close()
