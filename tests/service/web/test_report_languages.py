"""Reports and refusals in the reader's language, through the real app and database.

A report a page hands out (the comparison report, the products' HTML and PDF) is in
the signed-in user's language, with CLDR dates and numbers; the API gives English
unless asked (``lang``); the machine-readable downloads are English in every case.
"""

from __future__ import annotations

import csv
import io
import re
from contextlib import contextmanager
from datetime import date, datetime, timezone

import pytest
from markupsafe import escape
from matplotlib.backends.backend_pdf import pdfRepr

from service.intel.reports import STATS_COLUMNS
from service.voice import Voice
from service.web.catalog import extract
from service.web.i18n import LANGUAGES, TRANSLATED, Formatter, translations
from tests.service.web.conftest import page_client
from tests.service.web.test_analyst_pages import intel_world  # noqa: F401  (the fixture)
from tests.service.web.test_reports import _pdf_text


@contextmanager
def speaking(c, code: str):
    """The signed-in user's language set to ``code``, then back to English (the worlds are
    shared: other tests read these users' pages in English)."""
    r = c.post("/review/language", data={"lang": code, "next": "/review/home"})
    assert r.status_code == 303, r.text[:300]
    try:
        yield
    finally:
        assert c.post("/review/language", data={"lang": "en", "next": "/review/home"}).status_code == 303


def test_the_catalog_holds_the_reports_and_the_reasons():
    """The missing-translation test (test_i18n) reads the same extraction: it fails as
    soon as a report's word or a refusal's reason lacks a translation."""
    ids = {m.id for m in extract() if m.id}
    for msgid in ("Cartridge-case comparison report", "Breech-face score", "height (µm)",
                  "Link chart: linked series", "Per jurisdiction, %(period)s", "latitude (degrees)",
                  "moderately strong support for same source", "this file was already uploaded as scan %(id)s",
                  "your role (%(role)s) lacks %(scope)s", "the password must have at least %(n)s characters",
                  "the form's security token is missing or out of date: reload the page and try again",
                  "case not found", "lab number already used in this case",
                  "the file could not be read as a scan (corrupt, unsupported, or in unknown units):"):
        assert msgid in ids, msgid
    for code in TRANSLATED:
        t = translations(code)
        assert t.gettext("Cartridge-case comparison report") != "Cartridge-case comparison report"
    # The field's terms, as the pages already use them.
    assert translations("sr_Latn").gettext("Cartridge-case comparison report") == "Izveštaj o poređenju čaura"
    assert translations("mk").gettext("Breech-face score") == "Резултат на челото на затворачот"
    assert "gëzhoj" in translations("sq").gettext("Cartridge-case comparison report")


@pytest.mark.parametrize("code", list(LANGUAGES))
def test_a_comparison_report_comes_in_the_browsers_language(review_world, code):
    # No setting of the user's own: the browser's Accept-Language decides, as for the pages.
    c = page_client(review_world, "examiner.north", **{"Accept-Language": f"{LANGUAGES[code].tag},en;q=0.1"})
    cand = review_world.candidate(1)
    r = c.post(f"/review/candidates/{cand['id']}/report", data={"format": "pdf"})
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    v = Voice(code)
    pdf = r.content
    title = v._("Comparison report, run %(run)s candidate %(rank)s", run=review_world.run_id, rank=1)
    assert b"/Title " + pdfRepr(title) in pdf
    # The text layer holds the characters of the first 256 (matplotlib's Type 3 fonts draw
    # the others as glyph shapes): digits and the locale's separators always, words in
    # Latin-script languages.
    text = re.sub(r"\n?[\x01-\x08]\n?", "fi", _pdf_text(pdf))  # the "fi" ligature glyph
    assert Formatter(code).num(cand["log10_lr"]) in text, (code, Formatter(code).num(cand["log10_lr"]))
    today = Formatter(code).date(datetime.now(timezone.utc).date())
    if today.isascii() or code == "sq":
        assert today in text or today.replace("\u00a0", " ") in text, (code, today)
    if code in ("en", "sq"):
        for msgid in ("Cartridge-case comparison report", "Engine decision", "Parameter digest"):
            assert v._(msgid) in text, (code, v._(msgid))
    if code != "en":
        assert "Cartridge-case comparison report" not in text and "Engine decision" not in text
    stored = review_world.svc.ok(review_world.svc.get(f"/api/reports/{r.headers['x-report-id']}", "examiner.north"))
    assert stored["summary"]["language"] == code


def _stats(c, fmt: str):
    return c.post("/review/intel/reports", data={"kind": "statistics", "format": fmt, "filtered": "1",
                                                  "start": "2023-01-01", "end": "2025-01-01"})


@pytest.mark.parametrize("code", list(LANGUAGES))
def test_the_products_reports_come_in_the_users_language_and_downloads_stay_english(intel_world, code):  # noqa: F811
    c = page_client(intel_world, "analyst.north")
    with speaking(c, code):
        _products_in(c, code)


def _products_in(c, code: str) -> None:
    v = Voice(code)
    r = _stats(c, "html")
    assert r.status_code == 200
    page = r.text
    assert f'<html lang="{LANGUAGES[code].tag}">' in page
    assert f"<h1>{v._('Focal Point statistics')}</h1>" in page
    for heading in ("Per jurisdiction", "Cross-border hit matrix"):
        assert f"<h2>{v._(heading)}</h2>" in page, (code, heading)
    for column in ("items recovered", "confirmation rate", "cross-border hits"):
        assert f"<th>{v._(column)}</th>" in page, (code, column)
    # Dates in the locale: the period's caption and the time the report was made.
    caption = v._("%(start)s to %(end)s", start=Formatter(code).date(date(2023, 1, 1)),
                  end=Formatter(code).date(date(2024, 12, 31)))
    assert f"<caption>{caption}</caption>" in page.replace("&#x27;", "'"), (code, caption)
    assert f"<dd>{Formatter(code).date(datetime.now(timezone.utc).date())}" in page
    # The link chart's document too: its sentence with a locale-formatted count.
    chart = c.post("/review/intel/reports", data={"kind": "link_chart", "format": "html", "filtered": "1",
                                                  "linked_only": "1", "include_events": "1"}).text
    assert f"<h1>{v._('Link chart: linked series')}</h1>" in chart and f"<h2>{v._('Series')}</h2>" in chart
    # The machine-readable formats are the API's, in English, whatever the reader's language.
    rows = list(csv.reader(io.StringIO(_stats(c, "csv").text)))
    assert rows[0] == STATS_COLUMNS
    assert '"rows"' in _stats(c, "json").text


def test_the_api_gives_english_unless_asked_and_refuses_an_unknown_language(intel_world):  # noqa: F811
    svc = intel_world.svc
    body = {"kind": "statistics", "format": "html", "params": {"start": "2023-01-01", "end": "2025-01-01"}}
    plain = svc.ok(svc.post("/api/reports", "analyst.north", json=body), 201)
    html = svc.get(f"/api/reports/{plain['id']}/content", "analyst.north").text
    assert '<html lang="en">' in html and "<h1>Focal Point statistics</h1>" in html
    assert "2023-01-01 to 2025-01-01 (exclusive)" in html  # the API's ISO dates, as before
    mk = svc.ok(svc.post("/api/reports", "analyst.north", json=dict(body, lang="mk")), 201)
    assert mk["summary"]["language"] == "mk"
    html = svc.get(f"/api/reports/{mk['id']}/content", "analyst.north").text
    assert '<html lang="mk">' in html and "<h1>Статистика на контактната точка</h1>" in html
    r = svc.post("/api/reports", "analyst.north", json=dict(body, lang="xx"))
    assert r.status_code == 422 and "unknown language" in r.text
    # CSV asked in Macedonian is the same English CSV.
    csv_body = dict(body, format="csv")
    a = svc.ok(svc.post("/api/reports", "analyst.north", json=csv_body), 201)
    b = svc.ok(svc.post("/api/reports", "analyst.north", json=dict(csv_body, lang="mk")), 201)
    assert a["sha256"] == b["sha256"]
    spec = svc.get("/openapi.json", "analyst.north").json()
    assert "sr_Cyrl" in spec["components"]["schemas"]["ReportRequest"]["properties"]["lang"]["description"]


@pytest.mark.parametrize("code", TRANSLATED)
def test_refusals_on_pages_are_in_the_users_language_and_the_api_keeps_english(review_world, code):
    svc = review_world.svc
    t = translations(code)
    c = page_client(review_world, "lab_submitter.north")
    with speaking(c, code):
        _refusals_in(c, svc, code, t)


def _refusals_in(c, svc, code, t) -> None:
    # A permission refusal: the same 403 as the API, its reason in the reader's words.
    r = c.get("/review/audit")
    assert r.status_code == 403
    english = re.search(r'data-testid="refusal">.*?</p>', r.text, re.S).group(0)
    assert "lacks" not in english and t.gettext("your role (%(role)s) lacks %(scope)s").split("%")[0] in english
    assert 'lang="en"' not in english
    # Not found: an exhibit no jurisdiction of the reader holds.
    r = c.get("/review/exhibits/999999")
    assert r.status_code == 404 and t.gettext("exhibit not found") in r.text
    # A duplicate upload, as the upload script reads it: the reason and its language.
    cases = svc.ok(svc.get("/api/cases", "lab_submitter.north"))
    exhibit = next(e for e in svc.ok(svc.get(f"/api/cases/{cases[0]['id']}/exhibits", "lab_submitter.north")))
    from tests.service.conftest import SAMPLE

    data = (SAMPLE / "Fadul 3-1.x3p").read_bytes()  # already uploaded by the world
    r = c.post(f"/review/exhibits/{exhibit['id']}/scans", files={"files": ("again.x3p", data)},
               data={"region": "breech_face"}, headers={"Accept": "application/json"})
    (res,) = r.json()["results"]
    assert res["status"] == 409 and res["reason_lang"] == LANGUAGES[code].tag
    assert res["reason"].startswith(t.gettext("this file was already uploaded as scan %(id)s").split("%")[0])
    # A file the scan reader refuses: the kind of problem translated, its own words in English.
    r = c.post(f"/review/exhibits/{exhibit['id']}/scans", files={"files": ("notes.x3p", b"not a scan at all")},
               data={"region": "breech_face"})
    assert r.status_code == 200
    said = escape(t.gettext("the file could not be read as a scan (corrupt, unsupported, or in unknown units):"))
    assert f'{said} <span lang="en">' in r.text  # the reader's own words follow, marked English
    # A form posted without its token.
    r = c.post("/review/language", data={"lang": code}, csrf=False)
    assert r.status_code == 403
    assert escape(t.gettext("the form's security token is missing or out of date: reload the page and try again")) \
        in r.text
    # The API says the same refusals in English, as before.
    api = svc.post(f"/api/exhibits/{exhibit['id']}/scans", "lab_submitter.north", files={"file": ("x.x3p", data)})
    assert api.status_code == 409 and api.json()["detail"].startswith("this file was already uploaded as scan ")
