"""Every page family in the real headless browser, in every language, checked by axe-core.

One browser for the module; the server and its data are the session's ``review_world``.
A lab submitter signs in with the keyboard, registers a case, an event and an exhibit,
uploads two scans and a damaged file at once and sees the damaged one refused with
the reader's reason while both runs finish. Then every page is opened in each shipped
language: ``<html lang>`` must match, the page must be translated, and axe-core
(WCAG 2.1 A/AA rules) must find no serious or critical violation.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from service.web.i18n import LANGUAGES, translations
from tests.service.conftest import REPO, SAMPLE
from tests.service.web.test_browser import ARGS, CHROMIUM, _unavailable

AXE = REPO / ".web-test" / "node_modules" / "axe-core" / "axe.min.js"
SHOTS = REPO / "benchmarks" / "results" / "web"
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (pip install -e '.[test]')")
    if not Path(CHROMIUM).is_file():
        _unavailable(f"no chromium at {CHROMIUM} (scripts/ensure_browser.sh installs Debian's package as root)")
    if not AXE.is_file():
        _unavailable(f"axe-core missing at {AXE} (scripts/ensure_axe.sh installs it from npm)")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


def _context(browser, lang_tag: str = "en"):
    ctx = browser.new_context(viewport={"width": 1366, "height": 900}, locale=lang_tag)
    page = ctx.new_page()
    page.set_default_timeout(120_000)
    return ctx, page


def check_accessibility(page, where: str) -> None:
    """axe-core's WCAG 2.1 A/AA rules on the page as shown; serious or critical fails."""
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate("opts => axe.run(document, opts)", {"runOnly": {"type": "tag", "values": WCAG}})
    bad = [
        {"id": v["id"], "impact": v["impact"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"][:3]]}
        for v in result["violations"] if v["impact"] in ("serious", "critical")
    ]
    assert not bad, f"{where}: {json.dumps(bad, indent=1)}"
    assert result["passes"], f"{where}: axe ran no rule"


def shot(page, tmp_path: Path, name: str) -> None:
    path = tmp_path / f"{name}.png"
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000
    if os.environ.get("BALLISTICS_UPDATE_SCREENSHOTS"):
        SHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, SHOTS / path.name)


def sign_in_with_the_keyboard(page, url: str, username: str, password: str) -> None:
    assert "/review/login" in page.url
    page.focus("#username")
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    page.keyboard.type(password)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/review/login" not in page.url


@pytest.mark.slow
def test_a_submitter_registers_a_case_and_uploads_two_scans(review_world, browser, tmp_path):
    svc, url = review_world.svc, review_world.url
    ctx, page = _context(browser)
    try:
        page.goto(f"{url}/review/cases")
        check_accessibility(page, "login")
        shot(page, tmp_path, "login_en")
        sign_in_with_the_keyboard(page, url, "lab_submitter.north", svc.passwords["lab_submitter.north"])
        assert page.url == f"{url}/review/cases"
        check_accessibility(page, "cases")

        # Keyboard only: type into the fields, Enter submits.
        page.focus("#case-reference")
        page.keyboard.type("N-BROWSER-1")
        page.keyboard.press("Tab")
        page.keyboard.type("Two shootings, one pistol?")
        page.keyboard.press("Enter")
        page.wait_for_selector('[data-testid="flash"]')
        case_url = page.url.split("?")[0]
        check_accessibility(page, "case")

        page.select_option("#event-kind", "shooting")
        page.fill("#event-from", "2024-06-01")
        page.fill("#event-location", "Harbour Road")
        page.focus("#event-location")
        page.keyboard.press("Enter")
        page.wait_for_selector('[data-testid="events"] li')
        page.fill("#exhibit-lab", "LAB-BR-1")
        page.select_option("#exhibit-event", index=1)
        page.focus("#exhibit-lab")
        page.keyboard.press("Enter")
        page.wait_for_url(f"{url}/review/exhibits/*")
        check_accessibility(page, "exhibit")

        broken = tmp_path / "damaged.x3p"
        broken.write_bytes(b"PK\x03\x04 this is no X3P container")
        page.set_input_files("#scan-files", [str(SAMPLE / "Fadul 2-2.x3p"), str(SAMPLE / "Fadul 3-2.x3p"), str(broken)])
        page.click('form[data-testid="upload-form"] button[type="submit"]')
        page.wait_for_function("() => document.querySelectorAll('[data-testid=upload-list] li[data-result]').length === 3")
        rows = page.evaluate("""[...document.querySelectorAll('[data-testid=upload-list] li')]
            .map(li => ({file: li.dataset.file, result: li.dataset.result, text: li.innerText}))""")
        by_file = {r["file"]: r for r in rows}
        assert by_file["Fadul 2-2.x3p"]["result"] == "accepted" and by_file["Fadul 3-2.x3p"]["result"] == "accepted"
        assert by_file["damaged.x3p"]["result"] == "refused" and "(422)" in by_file["damaged.x3p"]["text"]
        page.wait_for_function(
            "() => [...document.querySelectorAll('[data-testid=upload-list] li[data-result=accepted]')]"
            ".every(li => li.dataset.runStatus === 'done')", timeout=180_000)
        check_accessibility(page, "exhibit after upload")
        shot(page, tmp_path, "submitter_upload_en")

        # The API sees the same: two scans with their SHA-256, one finished run each.
        exhibit_id = int(page.url.rsplit("/", 1)[1])
        scans = svc.ok(svc.get(f"/api/exhibits/{exhibit_id}/scans", "lab_submitter.north"))
        assert sorted(s["filename"] for s in scans) == ["Fadul 2-2.x3p", "Fadul 3-2.x3p"]
        for s in scans:
            runs = svc.ok(svc.get(f"/api/runs?scan_id={s['id']}", "lab_submitter.north"))
            assert [r["status"] for r in runs] == ["done"]
        page.click(f'[data-testid="upload-list"] li[data-file="Fadul 2-2.x3p"] a')
        page.wait_for_url(f"{url}/review/runs/*")
        assert page.locator("a.cand-link").count() >= 3
        check_accessibility(page, "run")
        assert case_url.startswith(f"{url}/review/cases/")
    finally:
        ctx.close()


@pytest.mark.slow
def test_every_page_in_every_language(review_world, browser, tmp_path):
    svc, url = review_world.svc, review_world.url
    c = svc.ok(svc.get("/api/cases", "lab_submitter.north"))[0]
    exhibit = svc.ok(svc.get(f"/api/cases/{c['id']}/exhibits", "lab_submitter.north"))[0]
    cand = review_world.candidate(1)
    pages = {
        "cases": "/review/cases", "case": f"/review/cases/{c['id']}", "exhibit": f"/review/exhibits/{exhibit['id']}",
        "runs": "/review/runs", "run": f"/review/runs/{review_world.run_id}",
        "candidate": f"/review/candidates/{cand['id']}",
    }
    for code, lang in LANGUAGES.items():
        _ = translations(code).gettext
        # A signed-out visitor: the browser's language decides the first page.
        ctx, page = _context(browser, lang.tag)
        try:
            page.goto(f"{url}/review/cases")
            assert page.get_attribute("html", "lang") == lang.tag
            assert page.inner_text("h1") == _("Sign in")
            # The auditor may not open cases: the API's 403, as a page, in the reader's language.
            sign_in_with_the_keyboard(page, url, "auditor.north", svc.passwords["auditor.north"])
            page.goto(f"{url}/review/cases")
            assert page.inner_text("h1") == _("Not allowed")
            assert "cases:read" in page.inner_text('[data-testid="refusal"]')
            check_accessibility(page, f"403 {code}")
        finally:
            ctx.close()
        # A signed-in examiner chooses the language with the keyboard; every page follows.
        ctx, page = _context(browser, "en")
        try:
            page.goto(f"{url}/review/runs")
            sign_in_with_the_keyboard(page, url, "examiner.north", svc.passwords["examiner.north"])
            page.focus("#lang-choice")
            page.select_option("#lang-choice", code)
            page.keyboard.press("Tab")
            page.keyboard.press("Enter")
            page.wait_for_function(f"() => document.documentElement.lang === '{lang.tag}'")
            for name, path in pages.items():
                page.goto(url + path)
                assert page.get_attribute("html", "lang") == lang.tag, (code, name)
                nav = page.inner_text("header.top nav")
                assert _("Correlation runs") in nav, (code, name, nav)
                check_accessibility(page, f"{name} {code}")
                if name in ("case", "candidate"):
                    shot(page, tmp_path, f"{name}_{code}")
        finally:
            ctx.close()
    # Leave the examiner in English for the other tests.
    with svc.app.state.session_factory() as s:
        from service.models import User
        from sqlalchemy import select
        s.scalar(select(User).where(User.username == "examiner.north")).locale = None
        s.commit()
