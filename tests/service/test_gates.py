"""The quality gates' reasons and the verbal scale, said in the reader's language.

``ballistics_core`` writes both in English; the service reads them by gate name and by
wording (``service.reports.gates``, ``service.voice.VERBAL``). These tests fail as soon
as the engine can say something the service would leave in English.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest
from markupsafe import escape

import ballistics_core.decide.quality as quality
from ballistics_core.decide.conclusion import conclude, verbal_equivalent
from ballistics_core.decide.quality import GateParams, ScanQuality, pair_gates
from service.reports.gates import GATES, gate_reason
from service.voice import ENGLISH, VERBAL, Voice
from service.web.i18n import TRANSLATED, translations
from service.web.render import environment


def every_gate_firing() -> list[str]:
    """Reasons of every gate the engine has, from the engine itself: two scans as bad and as
    unlike as can be, a pair that barely overlaps on few cells, and an LR that is not a number."""
    bad = ScanQuality(valid_area_mm2=0.42, spacing_um=20.0, roughness_um=0.1, noise_floor_um=0.5, snr=0.2)
    fine = ScanQuality(valid_area_mm2=3.5, spacing_um=3.125, roughness_um=1.0, noise_floor_um=0.01, snr=100.0)
    blocking, no_elim = pair_gates(bad, fine, n_cells=3, overlap_fraction=0.2, params=GateParams())
    return blocking + no_elim + list(conclude(math.nan, identification_log10_lr=2, elimination_log10_lr=-2).reasons)


def test_every_gate_the_engine_names_is_read():
    reasons = every_gate_firing()
    fired = {r.split(":", 1)[0] for r in reasons}
    # The names as the engine's source writes them, so a new gate fails here even when the
    # qualities above would not make it fire.
    source = Path(quality.__file__).read_text()
    written = set(re.findall(r'\.append\(f?"([a-z_]+):', source))
    assert written and written <= fired, written - fired
    assert fired <= set(GATES), f"gates the service does not translate: {sorted(fired - set(GATES))}"


@pytest.mark.parametrize("code", TRANSLATED)
def test_each_gate_is_said_in_the_readers_language_with_its_figures(code):
    v, t = Voice(code), translations(code)
    for reason in every_gate_firing():
        said = gate_reason(reason, v)
        assert said.translated, reason
        gate = GATES[said.name]
        assert said.text != gate.message and t.gettext(gate.message) != gate.message
        english_figures = re.findall(r"\d+(?:\.\d+)?", reason.split(":", 1)[1])
        for figure in english_figures:
            # The same figures, with the decimals the engine wrote, in the locale's way (a comma).
            assert figure.replace(".", ",") in said.text, (reason, said.text)
    area = gate_reason(every_gate_firing()[0], v).text
    assert "0,42" in area and "0.42" not in area


def test_the_apis_english_keeps_the_engines_sentence_and_unknown_gates_stay_english():
    reason = every_gate_firing()[0]
    assert gate_reason(reason, ENGLISH).text == reason  # the API's record, as the engine wrote it
    env = environment("sq")
    new_gate = "rim_damage: scan B shows a damaged rim"
    changed = "valid_area: scan A has 0.42 mm² of breech face"  # the engine's wording changed
    marked = env.globals["gate_reasons"]([new_gate, changed, reason])
    assert str(marked[0]) == f'<span lang="en">{new_gate}</span>'
    assert str(marked[1]) == f'<span lang="en">{changed}</span>'
    assert 'lang="en"' not in str(marked[2]) and "0,42" in str(marked[2])


def test_every_verbal_wording_the_engine_writes_is_translated():
    wordings = {verbal_equivalent(x / 20.0) for x in range(-200, 201)} | {verbal_equivalent(math.nan)}
    assert wordings <= set(VERBAL), wordings - set(VERBAL)
    for code in TRANSLATED:
        env = environment(code)
        for w in wordings:
            said = str(env.globals["verbal"](w))
            assert said == str(escape(translations(code).gettext(VERBAL[w]))) and said != w, (code, w)
    assert str(environment("mk").globals["verbal"]("overwhelming support")) == \
        '<span lang="en">overwhelming support</span>'
