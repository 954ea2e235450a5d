"""The review page in a real headless browser (Debian's chromium driven by Playwright).

Signs in, opens the run, moves through the candidate list with the keyboard, opens
a candidate, records a decision with a note, checks through the API that it was
stored, and keeps a screenshot (also copied for the README).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.service.conftest import REPO

CHROMIUM = os.environ.get("BALLISTICS_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
README_SHOT = REPO / "benchmarks" / "results" / "web" / "review_page.png"


def _unavailable(reason: str):
    if os.environ.get("BALLISTICS_REQUIRE_BROWSER") == "1":
        pytest.fail(f"browser test required but {reason}")
    pytest.skip(reason)


@pytest.fixture
def browser_page(tmp_path):
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (pip install -e '.[test]')")
    if not Path(CHROMIUM).is_file():
        _unavailable(f"no chromium at {CHROMIUM} (scripts/ensure_browser.sh installs Debian's package as root)")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            context = browser.new_context(viewport={"width": 1366, "height": 900})
            page = context.new_page()
            page.set_default_timeout(180_000)  # figures are computed on request; CI machines can be slow
            yield page
        finally:
            browser.close()


@pytest.mark.slow
def test_examiner_reviews_a_candidate_in_the_browser(review_world, browser_page, tmp_path):
    page, svc, url = browser_page, review_world.svc, review_world.url
    run_url = f"{url}/review/runs/{review_world.run_id}"

    page.goto(run_url)
    assert "/review/login" in page.url  # anonymous: sent to sign in first
    page.fill("#username", "examiner.north")
    page.fill("#password", svc.passwords["examiner.north"])
    page.press("#password", "Enter")
    page.wait_for_url(run_url)
    assert "examiner" in page.inner_text('[data-testid="who"]')
    assert page.locator("a.cand-link").count() == 3

    # Keyboard only: Tab reaches the list at its current entry, arrows move, Enter opens.
    page.focus('[data-testid="cand-1"]')
    page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.dataset.testid") == "cand-2"
    page.keyboard.press("ArrowDown")
    page.keyboard.press("k")
    assert page.evaluate("document.activeElement.dataset.testid") == "cand-2"
    assert page.evaluate("[...document.querySelectorAll('a.cand-link')].map(a => a.tabIndex)") == [-1, 0, -1]
    page.keyboard.press("Enter")
    cand = review_world.candidate(2)
    page.wait_for_url(f"{url}/review/candidates/{cand['id']}")

    figures = page.locator("figure.fig img")
    assert figures.count() == 3
    page.wait_for_function("() => [...document.querySelectorAll('figure.fig img')].every(i => i.complete && i.naturalWidth > 0)")
    widths = page.evaluate("[...document.querySelectorAll('figure.fig img')].map(i => i.naturalWidth)")
    assert widths[0] >= 1000  # figures are drawn for a laptop screen
    for i in range(3):
        assert len(figures.nth(i).get_attribute("alt")) > 80

    note = "Browser test: no agreement of breech-face marks beyond class characteristics."
    page.check('input[name="decision"][value="elimination"]')
    page.fill("#notes", note)
    page.click('form[data-testid="decision-form"] button[type="submit"]')
    page.wait_for_selector('[data-testid="flash"]')
    assert note in page.inner_text('[data-testid="reviews"]')

    stored = svc.ok(svc.get(f"/api/candidates/{cand['id']}/reviews", "analyst.north"))
    assert [(r["decision"], r["notes"]) for r in stored] == [("elimination", note)]

    page.evaluate("document.activeElement && document.activeElement.blur()")
    shot = tmp_path / "review_page.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 50_000
    # kept for the README only on request, so a test run never changes tracked files
    if os.environ.get("BALLISTICS_UPDATE_SCREENSHOTS"):
        README_SHOT.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, README_SHOT)
