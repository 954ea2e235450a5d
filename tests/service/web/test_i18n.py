"""Languages of the pages: complete catalogs, Accept-Language, the user's choice, CLDR formats."""

from __future__ import annotations

import re
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from service.intel import words
from service.web.catalog import extract, read
from service.web.i18n import LANGUAGES, TRANSLATED, Formatter, negotiate, translations
from service.web.render import environment
from tests.service.web.conftest import page_client

PLACEHOLDER = re.compile(r"%\(\w+\)s")
TAG = re.compile(r"</?\w+>")


def test_every_page_message_is_translated_in_every_shipped_language():
    """Fails as soon as a template or page module gains a message a catalog lacks."""
    template = extract()
    ids = {m.id for m in template if m.id}
    assert len(ids) > 150  # the extraction really reads the templates
    problems = []
    for code in TRANSLATED:
        cat = read(code)
        for msgid in sorted(ids):
            m = cat.get(msgid)
            if m is None or not m.string or m.fuzzy:
                problems.append(f"{code}: untranslated {msgid!r}")
                continue
            # A translation keeps every placeholder and every tag of the English.
            if sorted(PLACEHOLDER.findall(msgid)) != sorted(PLACEHOLDER.findall(m.string)):
                problems.append(f"{code}: placeholders differ in {msgid!r}")
            if sorted(TAG.findall(msgid)) != sorted(TAG.findall(m.string)):
                problems.append(f"{code}: markup differs in {msgid!r}")
    assert not problems, "\n".join(problems[:40])


def test_the_products_sentences_about_a_gun_are_in_the_catalog_and_said_in_each_language():
    """What happened in a gun's life and a gun's name (``service/intel/words.py``) are
    extracted with the templates, so the test above fails when one lacks a translation;
    rendered in a language, no English word of them is left."""
    source = Path(words.__file__).read_text(encoding="utf-8")
    marked = set(re.findall(r'N_\("([^"]+)"\)', source))
    assert len(marked) >= 14
    assert marked <= {m.id for m in extract() if m.id}
    deadline = date(2024, 3, 1)
    said = [
        words.trace_sent(4, "manufacturer", "Zastava Arms", deadline),
        words.trace_sent(5, "national_registry", "", None),
        words.trace_answered(4, "PARTNER", True),
        words.trace_answered(4, "PARTNER", False),
        words.stolen_reported("interpol-demo"),
        words.stolen_match("interpol-demo"),
        words.alert_acknowledged(2, "interpol-demo"),
        words.linked_to_case("N-10", 7),
        words.life_cycle_step("stored"),
        words.gun_name(None, None, "pistol", "A-1", 3),
        words.trace_node(words.Term("manufacturer"), "answered"),
    ]
    assert str(said[0]) == "trace request 4 to manufacturer Zastava Arms, deadline 2024-03-01"
    english_words = re.compile(r"\b(trace|request|deadline|answered|record|held|reported|register|lost|stolen|"
                               r"match|alert|acknowledged|linked|case|hit|step|firearm|pistol|manufacturer|"
                               r"registry)\b")
    for code in TRANSLATED:
        env = environment(code)
        for phrase in said:
            out = env.globals["say"](phrase)
            assert out != str(phrase)
            left = english_words.findall(out.replace("interpol-demo", ""))
            assert not left, (code, str(phrase), out)
        assert env.filters["day"](deadline) in env.globals["say"](said[0])


def test_catalogs_use_the_fields_usual_terms():
    expect = {
        "sq": {"cartridge case": "gëzhojë", "firing pin": "gjilpëra e goditjes", "identification": "identifikim"},
        "sr_Latn": {"cartridge case": "čaura", "breech face": "čelo zatvarača", "firing pin": "udarna igla",
                    "identification": "identifikacija", "elimination": "eliminacija"},
        "sr_Cyrl": {"cartridge case": "чаура", "breech face": "чело затварача", "firing pin": "ударна игла",
                    "identification": "идентификација"},
        "mk": {"cartridge case": "чаура", "firing pin": "ударна игла", "identification": "идентификација",
               "exhibit": "доказен предмет"},
    }
    for code, terms in expect.items():
        t = translations(code)
        for en, word in terms.items():
            assert t.gettext(en) == word, (code, en, t.gettext(en))
    # Serbian Cyrillic is the same text as Serbian Latin, in the other script.
    assert not re.search(r"[A-Za-zčćšžđ]{4,}", translations("sr_Cyrl").gettext("Ranked candidates"))


@pytest.mark.parametrize("header, code", [
    (None, "en"), ("", "en"), ("sq-AL,sq;q=0.9,en;q=0.5", "sq"), ("mk", "mk"), ("sr-Latn-RS,en;q=0.3", "sr_Latn"),
    ("sr", "sr_Cyrl"), ("sr-RS", "sr_Cyrl"), ("bs-BA,en;q=0.5", "sr_Latn"), ("de-DE,mk;q=0.8", "mk"),
    ("en;q=0.2,sq;q=0.9", "sq"), ("fr, de", "en"), ("sq;q=0", "en"), ("x;q=abc,mk", "mk"),
])
def test_accept_language_picks_the_closest_shipped_catalog(header, code):
    assert negotiate(header) == code


def test_dates_and_numbers_follow_the_locale():
    when = datetime(2024, 3, 1, 14, 5, tzinfo=timezone.utc)
    assert Formatter("en").num(12345.678) == "12,345.68"
    assert Formatter("sr_Latn").num(12345.678) == "12.345,68"
    assert Formatter("mk").num(-1.5) == "-1,50"
    assert "2024" in Formatter("sq").datetime(when) and "mar" in Formatter("sq").datetime(when).lower()
    assert Formatter("sr_Cyrl").datetime(when).startswith("1. 3. 2024. 14:05")
    assert "мар" in Formatter("mk").datetime(when)
    assert Formatter("en").datetime(when) == "Mar 1, 2024, 2:05:00\u202fPM UTC" or "2:05:00 PM" in Formatter("en").datetime(when)


def test_a_signed_out_visitors_first_page_follows_accept_language(review_world):
    for code, lang in LANGUAGES.items():
        c = page_client(review_world, **{"Accept-Language": f"{lang.tag},en;q=0.1"})
        r = c.get("/review/login")
        assert r.status_code == 200
        assert f'<html lang="{lang.tag}">' in r.text
        assert r.headers["content-language"] == lang.tag
        assert translations(code).gettext("Sign in") in r.text


def test_a_users_language_is_their_setting_and_is_audited(review_world):
    svc = review_world.svc
    c = page_client(review_world, "investigator.south", **{"Accept-Language": "sq"})
    assert '<html lang="sq">' in c.get("/review/runs").text
    r = c.post("/review/language", data={"lang": "sr_Cyrl", "next": "/review/runs"})
    assert r.status_code == 303 and r.headers["location"] == "/review/runs"
    page = c.get("/review/runs").text
    assert '<html lang="sr-Cyrl">' in page and "Корелационе претраге" in page
    # The setting belongs to the user: another browser (other Accept-Language, no cookie) sees it too.
    other = page_client(review_world, "investigator.south", **{"Accept-Language": "en"})
    assert '<html lang="sr-Cyrl">' in other.get("/review/runs").text
    entries = svc.ok(svc.get("/api/audit?limit=5000", "auditor.south"))
    assert any(e["action"] == "update" and '"locale":"sr_Cyrl"' in e["detail"] for e in entries)
    # An unknown language and a post without the form's token are refused, nothing changes.
    assert c.post("/review/language", data={"lang": "xx"}).status_code == 422
    assert c.post("/review/language", data={"lang": "en"}, csrf=False).status_code == 403
    assert '<html lang="sr-Cyrl">' in c.get("/review/runs").text
