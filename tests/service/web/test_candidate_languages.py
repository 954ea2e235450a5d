"""The candidate page in each language: its figures' words, their text alternatives and
captions, the verbal scale and the quality gates, over real HTTP from the live server."""

from __future__ import annotations

import html
import re

import pytest
from matplotlib.text import Text

from service.reports.figures import review_figures
from service.voice import VERBAL, Voice
from service.web.i18n import LANGUAGES, TRANSLATED, translations
from service.web.pages import FIGURE_TITLES
from tests.service.web.conftest import page_client

# What the figures and their descriptions say in English: none of it may be left on a
# page (or in an image) in another language.
ENGLISH_WORDS = ("Overlay: A magenta, B green", "height (µm)", "intensity", "congruent (green)",
                 "Pearson correlation", "No firing-pin comparison", "A (query)", "B (candidate)", "candidate 1",
                 "not congruent", "no match", "standard deviations", "rotated")


def _figure_texts(material_pair, v: Voice) -> str:
    """Every string drawn on the three figures (titles, axis and colour-bar labels, legends)."""
    out = []
    for f in review_figures(material_pair, v=v).values():
        out += [t.get_text() for t in f.figure.findobj(Text) if t.get_text()]
    return "\n".join(out)


@pytest.mark.parametrize("code", TRANSLATED)
def test_the_candidate_page_and_its_figures_speak_the_readers_language(review_world, code):
    t, tag = translations(code), LANGUAGES[code].tag
    cand = review_world.candidate(1)
    c = page_client(review_world, "investigator.north", **{"Accept-Language": tag})
    english = page_client(review_world, "investigator.north", **{"Accept-Language": "en"})
    r = c.get(f"/review/candidates/{cand['id']}")
    assert r.status_code == 200 and f'<html lang="{tag}"' in r.text
    page = html.unescape(r.text)
    figures = re.findall(r'<img src="([^"]+)" alt="([^"]+)" data-testid="fig-(\w+)"', r.text)
    captions = re.findall(r"<figcaption>(.*?)</figcaption>", r.text, re.S)
    assert [n for _, _, n in figures] == ["surfaces", "overlay", "firing_pin"] and len(captions) == 3
    for (src, alt, name), caption in zip(figures, captions):
        assert src.endswith(f"{name}.png?lang={code}")
        assert html.unescape(t.gettext(FIGURE_TITLES[name])) in page
        alt, caption = html.unescape(alt), html.unescape(caption)
        assert alt == caption
        assert not any(w in alt for w in ENGLISH_WORDS), (name, alt)
    assert t.gettext("No firing-pin comparison: A and B have no firing-pin impression in the signature") \
        in html.unescape(figures[2][1])
    assert t.gettext("candidate %(rank)s") % {"rank": 1} in html.unescape(figures[0][1])
    assert '<img src' in r.text and 'lang="en"' not in r.text.split('id="fig-surfaces"')[1].split("</main>")[0]
    # The verbal scale and the gates: the reader's words, nothing marked English.
    row = re.search(r'data-testid="verbal">(.*?)</td>', r.text, re.S).group(1)
    en_row = re.search(r'data-testid="verbal">(.*?)</td>', english.get(f"/review/candidates/{cand['id']}").text,
                       re.S).group(1)
    assert en_row in VERBAL and html.unescape(row) == t.gettext(VERBAL[en_row]) != en_row
    gates = re.search(r'data-testid="gate">(.*?)</td>', r.text, re.S).group(1)
    assert 'lang="en"' not in gates
    # The image in this language is not the English one, and it is the cache's rendering.
    png = c.get(figures[0][0])
    en_png = english.get(figures[0][0].replace(f"lang={code}", "lang=en"))
    assert png.status_code == en_png.status_code == 200 and png.content.startswith(b"\x89PNG")
    assert png.content != en_png.content
    cache = review_world.live.app.state.review_cache
    assert (review_world.run_id, cand["id"], code) in cache
    material = cache.material(review_world.run_id, cand["id"], lambda: None, Voice(code))
    assert material.figures["surfaces"].png == png.content and material.pair.label_b != "candidate 1"
    # Every word drawn on the figures is this language's.
    drawn = _figure_texts(material.pair, Voice(code))
    assert not any(w in drawn for w in ENGLISH_WORDS), drawn
    assert t.gettext("Overlay: A magenta, B green") in drawn and t.gettext("congruent") in drawn
    # An unknown language in the image's address is refused with its reason, not a 500.
    assert c.get(figures[0][0].replace(f"lang={code}", "lang=xx")).status_code == 422


def test_a_candidates_figures_are_kept_per_language_and_bounded(review_world):
    from service.reports.cache import ReviewCache

    cache = ReviewCache(max_candidates=1, max_renderings=2)
    material = review_world.live.app.state.review_cache.material(
        review_world.run_id, review_world.candidate(1)["id"], lambda: None, Voice("en"))
    compared = []

    def compare():
        compared.append(1)
        return material.pair

    for code in ("en", "sq", "mk"):
        cache.material(1, 2, compare, Voice(code))
    # One comparison for three languages; the oldest language's figures make way.
    assert compared == [1] and (1, 2) in cache
    assert (1, 2, "mk") in cache and (1, 2, "sq") in cache and (1, 2, "en") not in cache


@pytest.mark.parametrize("code", TRANSLATED)
def test_refused_fields_and_credentials_are_said_in_the_readers_language(review_world, code):
    t, tag = translations(code), LANGUAGES[code].tag
    c = page_client(review_world, "investigator.north", **{"Accept-Language": tag})
    # An address the route's types refuse: the fields named in the reader's words, the
    # schema's own English after them, marked so; a 422, never a 500.
    r = c.get("/review/candidates/0")
    assert r.status_code == 422
    lead = t.gettext("the request was not accepted; check these fields: %(fields)s.") % {"fields": t.gettext("candidate")}
    assert lead in html.unescape(r.text)
    assert re.search(r'<span lang="en">candidate_id: [^<]+</span>', r.text)
    # The API keeps its English.
    svc = review_world.svc
    bad = svc.client.get(f"/api/runs/{review_world.run_id}", headers={"Authorization": "Bearer nonsense"})
    assert bad.status_code == 401 and bad.json()["detail"] == "could not validate credentials"
    assert t.gettext("could not validate credentials") != "could not validate credentials"
