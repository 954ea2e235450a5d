"""Serial-number normal form and matching (pure functions, no database)."""

from __future__ import annotations

import pytest

from service.firearms.serials import SerialError, fuzzy, matches_pattern, normalise, normalise_pattern


@pytest.mark.parametrize("entered", ["AB-1023-S", "ab 1023 s", "A8.IO23.5", "ＡＢ１０２３Ｓ", "ab/1o23/s"])
def test_case_separators_and_look_alikes_share_one_normal_form(entered):
    assert normalise(entered) == "A810235"


def test_distinct_serials_stay_distinct():
    assert normalise("AB1023") != normalise("AB1024")
    assert normalise("") == "" and normalise(" - ") == ""


@pytest.mark.parametrize("bad, reason", [("AB#123", "'#'"), ("12\u00a7", "'§'"), ("X" * 41, "longer than 40")])
def test_malformed_serials_are_refused_with_the_reason(bad, reason):
    with pytest.raises(SerialError, match=reason):
        normalise(bad)


def test_wildcards_stand_for_obliterated_characters():
    p = normalise_pattern("ab-?o2*")
    assert p == "A8?02*"
    assert matches_pattern(p, normalise("AB-1023-S")) and matches_pattern(p, "A8702")
    assert not matches_pattern(p, normalise("XB-1023"))
    for bad in ("*", "?*?", "A*"):
        with pytest.raises(SerialError):
            normalise_pattern(bad)


def test_fuzzy_finds_one_misread_character_and_ranks_it_first():
    choices = {1: normalise("AB1023S"), 2: normalise("AB1028S"), 3: normalise("ZZ999999")}
    found = fuzzy(normalise("AB1023S"), choices, min_score=75)
    assert [k for k, _ in found] == [1, 2] and found[0][1] == 100.0 and 80 < found[1][1] < 100
