"""Languages of the pages: gettext catalogs read through Babel, one Jinja environment each.

The catalogs are ``locale/<lang>/LC_MESSAGES/messages.po``; they are compiled in
memory when this module is first used, so a fresh clone needs no build step and a
``.mo`` can never be older than its ``.po``. Each language has its own Jinja
environment (templates, ``gettext`` and the date and number filters bound to its
Babel locale), so rendering never swaps translations that another thread is using.

The language of a page is, in order: the signed-in user's setting, the language a
signed-out visitor chose on the sign-in page (a cookie), the browser's
``Accept-Language``, English.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime, timezone
from functools import lru_cache
from pathlib import Path

import jinja2
from markupsafe import Markup, escape
from babel import Locale
from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent
from babel.support import NullTranslations, Translations

HERE = Path(__file__).resolve().parent
LOCALE_DIR = HERE / "locale"
DEFAULT = "en"
LANG_COOKIE = "bfp_lang"


@dataclass(frozen=True)
class Language:
    code: str  # catalog folder and Babel locale identifier
    tag: str  # BCP 47 tag for <html lang> and hreflang
    name: str  # the language's own name, shown in the language chooser


LANGUAGES: dict[str, Language] = {
    lang.code: lang
    for lang in (
        Language("en", "en", "English"),
        Language("sq", "sq", "Shqip"),
        Language("sr_Latn", "sr-Latn", "Srpski (latinica)"),
        Language("sr_Cyrl", "sr-Cyrl", "Српски (ћирилица)"),
        Language("mk", "mk", "Македонски"),
    )
}
TRANSLATED = [c for c in LANGUAGES if c != DEFAULT]

# Accept-Language tags without a shipped catalog of their own, mapped to the closest one
# readers of the region use: Serbian without a script is Cyrillic (its official script);
# Bosnian, Croatian and Montenegrin readers read Serbian Latin.
_ALIASES = {
    "sr": "sr_Cyrl", "sr-cyrl": "sr_Cyrl", "sr-rs": "sr_Cyrl", "sr-cyrl-rs": "sr_Cyrl", "sr-cyrl-ba": "sr_Cyrl",
    "sr-latn": "sr_Latn", "sr-latn-rs": "sr_Latn", "sr-latn-ba": "sr_Latn", "sr-latn-me": "sr_Latn", "sr-me": "sr_Latn",
    "sr-ba": "sr_Latn", "bs": "sr_Latn", "hr": "sr_Latn", "cnr": "sr_Latn", "sh": "sr_Latn",
    "sq": "sq", "sq-al": "sq", "sq-xk": "sq", "sq-mk": "sq", "mk": "mk", "mk-mk": "mk", "en": "en",
}


def known(code: str | None) -> str | None:
    """The catalog code for a stored or posted language code, or None."""
    return code if code in LANGUAGES else None


def from_tag(tag: str) -> str | None:
    t = tag.strip().lower().replace("_", "-")
    if not t:
        return None
    if t in _ALIASES:
        return _ALIASES[t]
    base = t.split("-")[0]
    return _ALIASES.get(base)


def negotiate(accept_language: str | None) -> str:
    """The best shipped language for an ``Accept-Language`` header (RFC 9110 q-values)."""
    if not accept_language:
        return DEFAULT
    ranked = []
    for i, part in enumerate(accept_language.split(",")[:30]):
        tag, _, params = part.partition(";")
        q = 1.0
        for p in params.split(";"):
            k, _, v = p.strip().partition("=")
            if k == "q":
                try:
                    q = float(v)
                except ValueError:
                    q = 0.0
        ranked.append((-q, i, tag))
    for neg_q, _, tag in sorted(ranked):
        if neg_q >= 0:
            break
        code = from_tag(tag)
        if code:
            return code
    return DEFAULT


@lru_cache(maxsize=None)
def translations(code: str) -> NullTranslations:
    """The compiled catalog of one language (compiled from the .po in memory)."""
    if code == DEFAULT:
        return NullTranslations()
    po = LOCALE_DIR / code / "LC_MESSAGES" / "messages.po"
    with po.open("rb") as fh:
        catalog = read_po(fh, locale=code)
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    buf.seek(0)
    return Translations(buf)


def babel_locale(code: str) -> Locale:
    return Locale.parse(code)


class Formatter:
    """Dates and numbers in one language's conventions (Babel / CLDR)."""

    def __init__(self, code: str):
        self.locale = babel_locale(code)

    def num(self, x, digits: int = 2) -> str:
        if x is None:
            return "–"
        return format_decimal(x, format="#,##0." + "0" * digits if digits else "#,##0", locale=self.locale)

    def integer(self, x) -> str:
        return "–" if x is None else format_decimal(x, format="#,##0", locale=self.locale)

    def percent(self, x) -> str:
        return "–" if x is None else format_percent(x, locale=self.locale)

    def datetime(self, x: datetime | None) -> str:
        if x is None:
            return "–"
        if x.tzinfo is None:
            x = x.replace(tzinfo=timezone.utc)
        return format_datetime(x, format="medium", tzinfo=timezone.utc, locale=self.locale) + " UTC"

    def date(self, x: date | None) -> str:
        return "–" if x is None else format_date(x, format="medium", locale=self.locale)


def _num_filter(fmt: Formatter):
    def num(x, spec: str = ".2f") -> str:
        digits = int(spec[1]) if len(spec) >= 3 and spec[0] == "." and spec[1].isdigit() else 2
        return fmt.num(x, digits)
    return num


def make_environment(code: str, templates: Path) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_translations(translations(code), newstyle=True)
    fmt = Formatter(code)
    env.filters["num"] = _num_filter(fmt)
    env.filters["int"] = fmt.integer
    env.filters["pct"] = fmt.percent
    env.filters["dt"] = fmt.datetime
    env.filters["day"] = fmt.date
    from service.web.terms import TERMS

    gettext = translations(code).gettext

    def term(value) -> str:
        """The translated word for an API value (role, state, decision); the value itself if none."""
        value = getattr(value, "value", value)
        if not value:
            return "–"
        return gettext(TERMS[value]) if value in TERMS else str(value)

    env.globals["term"] = term

    def say(value) -> str:
        """A product's sentence (:class:`service.intel.words.Phrase`) or plain text, in this language."""
        from service.intel.words import text
        return "–" if value is None or value == "" else text(value, gettext, term, fmt.date)

    env.globals["say"] = say

    def moment(value) -> str:
        # A refusal's date is a day; a moment (an acknowledgement's time) keeps its time.
        from datetime import datetime as _datetime
        return fmt.datetime(value) if isinstance(value, _datetime) else fmt.date(value)

    def refusal(value) -> Markup:
        """A refusal's reason (:class:`service.reasons.Reason`) in this language, the scan
        reader's own technical words after it marked as English; a reason that is only an
        English detail (from a function that gives no structured reason) is marked so whole."""
        from service.reasons import Reason

        if isinstance(value, Reason):
            said = escape(value.phrase.render(gettext, term, moment))
            if value.technical:
                said += Markup(' <span lang="en">') + escape(value.technical) + Markup("</span>")
            return Markup(said)
        return Markup('<span lang="en">') + escape(str(value)) + Markup("</span>")

    env.globals["refusal"] = refusal

    def run_failure(text) -> Markup:
        """A correlation run's stored failure: a known kind in this language, the worker's
        own words after it marked as English; anything else as stored, marked English."""
        from service.reasons import run_failure as read

        return refusal(read(text))

    env.globals["run_failure"] = run_failure

    from service.voice import VERBAL, Voice

    voice = Voice(code)

    def verbal(expression) -> Markup:
        """An ENFSI verbal equivalent (written in English by ``ballistics_core``) in this language;
        a wording outside the scale's fourteen is shown as written, marked as English."""
        if expression in VERBAL:
            return Markup(escape(gettext(VERBAL[expression])))
        return Markup('<span lang="en">') + escape(str(expression)) + Markup("</span>")

    env.globals["verbal"] = verbal

    def gate_reasons(reasons) -> list[Markup]:
        """The quality gates' reasons (``service.reports.gates``), each in this language with its
        figures in this locale; one the service cannot read is the engine's English, marked so."""
        from service.reports.gates import gate_reasons as read

        out = []
        for g in read(reasons, voice):
            said = escape(g.text)
            out.append(Markup(said) if g.translated else Markup('<span lang="en">') + said + Markup("</span>"))
        return out

    env.globals["gate_reasons"] = gate_reasons
    env.globals["role_name"] = term
    env.globals["lang"] = LANGUAGES[code]
    env.globals["languages"] = list(LANGUAGES.values())
    return env


def gettext_for(code: str):
    """``gettext`` of one language, for messages built in Python (flash lines, labels)."""
    return translations(code).gettext


def N_(message: str) -> str:
    """Marks a message for extraction; translated later, where the language is known."""
    return message
