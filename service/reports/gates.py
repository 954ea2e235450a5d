"""The quality gates' reasons in the reader's language.

``ballistics_core`` explains a gate that withheld a conclusion in English, with its
figures: ``"valid_area: scan A holds 0.42 mm² of breech face (validated from 1 mm²)"``
(``decide/quality.py``: ``pair_gates``; ``decide/conclusion.py``: ``no_lr``). The
service does not change those sentences (they are the engine's record, in every
result it writes); it reads each one by its gate's name, the word before the colon,
takes the figures out of the rest and says the sentence again as a message of the
pages' catalog with the figures put in as values, written with the reader's decimal
separator. Each figure keeps the decimals the engine wrote, so a translated reason
never claims more or less precision than the English one.

A gate this module does not know, or a sentence whose wording the engine has changed
so that its figures can no longer be read, is shown as the engine wrote it, marked as
English (``lang="en"`` on a page). ``tests/service/test_gates.py`` fails when a gate
``ballistics_core`` can fire is not read here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from service.voice import ENGLISH, N_, Voice

_NUM = r"-?\d+(?:\.\d+)?"


@dataclass(frozen=True)
class Gate:
    message: str
    pattern: re.Pattern
    percent: tuple[str, ...] = ()  # values written as a percentage ("45%")


def _gate(message: str, pattern: str, *, percent: tuple[str, ...] = ()) -> Gate:
    return Gate(message, re.compile(pattern.replace("{num}", _NUM)), percent)


# One entry per gate name of ``ballistics_core.decide.quality.pair_gates`` and
# ``conclusion.conclude``: the translated message, and how its figures read in English.
GATES: dict[str, Gate] = {
    "valid_area": _gate(
        N_("scan %(scan)s holds %(area)s mm² of breech face (validated from %(min)s mm²)"),
        r"scan (?P<scan>[AB]) holds (?P<area>{num}) mm² of breech face \(validated from (?P<min>{num}) mm²\)"),
    "resolution": _gate(
        N_("scan %(scan)s is sampled at %(spacing)s µm (validated up to %(max)s µm)"),
        r"scan (?P<scan>[AB]) is sampled at (?P<spacing>{num}) µm \(validated up to (?P<max>{num}) µm\)"),
    "noise_floor": _gate(
        N_("scan %(scan)s has a signal-to-noise ratio of %(snr)s (validated from %(min)s)"),
        r"scan (?P<scan>[AB]) has signal/noise (?P<snr>{num}) \(validated from (?P<min>{num})\)"),
    "quality_mismatch": _gate(
        N_("the scans' signal-to-noise ratios differ %(ratio)s-fold (validated up to %(max)s)"),
        r"signal/noise differs (?P<ratio>{num})-fold between the scans \(validated up to (?P<max>{num})\)"),
    "resolution_mismatch": _gate(
        N_("the scans' samplings differ %(ratio)s-fold (validated up to %(max)s)"),
        r"samplings differ (?P<ratio>{num})-fold \(validated up to (?P<max>{num})\)"),
    "few_cells": _gate(
        N_("%(n)s cells took part (at least %(min)s needed)"),
        r"(?P<n>{num}) cells took part \(at least (?P<min>{num}) needed\)"),
    "small_overlap": _gate(
        N_("the registered scans overlap on %(overlap)s of the smaller one (at least %(min)s needed)"),
        r"the registered scans overlap on (?P<overlap>{num})% of the smaller one \(at least (?P<min>{num})% needed\)",
        percent=("overlap", "min")),
    "thin_evidence": _gate(
        N_("only %(n)s cells took part; an elimination needs %(min)s"),
        r"only (?P<n>{num}) cells took part; an elimination needs (?P<min>{num})"),
    "no_lr": _gate(N_("no likelihood ratio could be computed"), r"no likelihood ratio could be computed"),
}


@dataclass(frozen=True)
class GateReason:
    """One gate's reason as a reader sees it: ``translated`` is False where it is the engine's English."""

    name: str
    text: str
    translated: bool


def _figure(written: str, v: Voice, percent: bool) -> str:
    digits = len(written.partition(".")[2])
    x = float(written)
    if percent:
        # "45%" in the reader's way of writing a percentage ("45 %", "45%").
        return v.percent(x / 100.0) if v.code else f"{written}%"
    return v.num(x, digits) if v.code else written


def gate_reason(reason: str, v: Voice = ENGLISH) -> GateReason:
    """One of ``Comparison.gate_reasons`` in ``v``'s language (the engine's English, unmarked, for
    the API's plain English voice)."""
    name, sep, rest = reason.partition(":")
    name, rest = name.strip(), rest.strip()
    gate = GATES.get(name) if sep else None
    if v.code is None:
        return GateReason(name, reason, False)  # the API's English: the engine's sentence, as recorded
    found = gate.pattern.fullmatch(rest) if gate else None
    if found is None:
        return GateReason(name, reason, False)
    values = {key: (w if key == "scan" else _figure(w, v, key in gate.percent)) for key, w in found.groupdict().items()}
    return GateReason(name, v._(gate.message, **values), True)


def gate_reasons(reasons, v: Voice = ENGLISH) -> list[GateReason]:
    return [gate_reason(r, v) for r in reasons]


def gate_names(gate: str) -> list[str]:
    """The names in ``Comparison.gate`` (``;``-separated)."""
    return [n for n in (gate or "").split(";") if n]
