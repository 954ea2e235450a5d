"""The language a document is written in: its words, its dates and its numbers.

The pages render their templates through one Jinja environment per language
(``service.web.i18n``); reports and refusal reasons are written in Python, outside
a template, and a :class:`Voice` is what they are written with. ``Voice()`` is the
API's English, unchanged from before the reports were translated (ISO dates,
``12345.68``, API values as they are), so machine readers and existing report
digests see no difference; ``Voice("sq")`` (any shipped catalog, English included)
is a reader's language with CLDR dates and numbers, as the pages show them.

The messages are the pages' catalog (``service/web/locale``): whatever a report or
a reason says is marked with ``v._()`` / :func:`N_` and extracted by
``service/web/catalog.py``, so the missing-translation test covers it.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

# ``service.web`` (whose package imports every page) is imported when a language is first
# used, not here: the reports and the API import this module, and the pages import them.

__all__ = ["N_", "Voice", "ENGLISH", "choose"]


def N_(message: str) -> str:
    """Marks a message for extraction into the pages' catalog; translated when written."""
    return message


class Voice:
    """Writes text in one language; ``code=None`` is the API's plain English."""

    def __init__(self, code: str | None = None):
        self.code = code
        self._t = self._fmt = None
        if code is None:
            self.tag = "en"
            return
        from service.web.i18n import LANGUAGES, Formatter, known, translations

        if known(code) is None:
            raise ValueError(f"unknown language {code!r} ({', '.join(LANGUAGES)})")
        self.tag = LANGUAGES[code].tag  # the BCP 47 tag for <html lang>
        self._t = translations(code)
        self._fmt = Formatter(code)

    # --- words ---

    def _(self, message: str, **values: Any) -> str:
        text = self._t.gettext(message) if self._t else message
        return text % values if values else text

    def ngettext(self, singular: str, plural: str, n: int, **values: Any) -> str:
        if self._t:
            text = self._t.ngettext(singular, plural, n)
        else:
            text = singular if n == 1 else plural
        return text % dict(values, num=n)

    def term(self, value: Any) -> str:
        """An API value (role, decision, event kind) as the reader calls it; as it is in plain English."""
        from service.web.terms import TERMS

        value = getattr(value, "value", value)
        if value is None or value == "":
            return "–"
        value = str(value)
        if self._t is None:
            return value
        return self._t.gettext(TERMS[value]) if value in TERMS else value

    def say(self, value: Any) -> str:
        """A product's sentence (:class:`service.intel.words.Phrase`) or plain text."""
        from service.intel.words import Phrase, Term, text

        if value is None or value == "":
            return "–"
        if isinstance(value, Term):
            return self.term(value.value)
        if isinstance(value, Phrase) and self._t is None:
            return str(value)
        return text(value, self._t.gettext if self._t else None, self.term, self.date)

    # --- numbers and dates ---

    def num(self, x: float | None, digits: int = 2) -> str:
        if x is None or x != x:
            return self._("n/a")
        return self._fmt.num(x, digits) if self._fmt else f"{x:.{digits}f}"

    def integer(self, x: int | None) -> str:
        if x is None:
            return "–"
        return self._fmt.integer(x) if self._fmt else str(x)

    def sig(self, x: float) -> str:
        """Three significant digits (a likelihood ratio, a table's float)."""
        if self._fmt is None:
            return f"{x:.3g}"
        from babel.numbers import format_decimal, format_scientific

        if x != 0 and (abs(x) >= 1e6 or abs(x) < 1e-3):
            return format_scientific(x, format="0.##E0", locale=self._fmt.locale)
        digits = max(0, 2 - int(f"{abs(x):e}".split("e")[1])) if x else 0
        return format_decimal(round(x, digits), format="#,##0." + "#" * digits if digits else "#,##0",
                              locale=self._fmt.locale)

    def percent(self, x: float | None) -> str:
        if x is None:
            return "–"
        return self._fmt.percent(x) if self._fmt else f"{x:.0%}"

    def datetime(self, x: datetime | None) -> str:
        if x is None:
            return "–"
        if self._fmt:
            return self._fmt.datetime(x)
        if x.tzinfo is not None:
            x = x.astimezone(timezone.utc)
        return f"{x:%Y-%m-%d %H:%M:%S} UTC"

    def date(self, x: date | None) -> str:
        if x is None:
            return "–"
        return self._fmt.date(x) if self._fmt else x.isoformat()

    def yes_no(self, value: bool) -> str:
        return self._("yes") if value else self._("no")


ENGLISH = Voice()


def choose(lang: str | None) -> Voice:
    """The voice for an API request's ``lang``: plain English when none is given."""
    return ENGLISH if not lang else Voice(lang)


# The ENFSI verbal equivalents ``ballistics_core.decide.conclusion.verbal_equivalent``
# writes, each a message of its own: a prosecutor reads the whole expression in their
# language (the words of the scale do not translate one by one across the propositions).
VERBAL: dict[str, str] = {
    "not evaluated": N_("not evaluated"),
    "no support for either proposition": N_("no support for either proposition"),
    "weak support for same source": N_("weak support for same source"),
    "moderate support for same source": N_("moderate support for same source"),
    "moderately strong support for same source": N_("moderately strong support for same source"),
    "strong support for same source": N_("strong support for same source"),
    "very strong support for same source": N_("very strong support for same source"),
    "extremely strong support for same source": N_("extremely strong support for same source"),
    "weak support for different sources": N_("weak support for different sources"),
    "moderate support for different sources": N_("moderate support for different sources"),
    "moderately strong support for different sources": N_("moderately strong support for different sources"),
    "strong support for different sources": N_("strong support for different sources"),
    "very strong support for different sources": N_("very strong support for different sources"),
    "extremely strong support for different sources": N_("extremely strong support for different sources"),
}


def verbal(expression: str, v: Voice = ENGLISH) -> str:
    """An ENFSI verbal equivalent in ``v``'s language (as it is when not one of the scale's)."""
    return v._(VERBAL[expression]) if expression in VERBAL else expression
