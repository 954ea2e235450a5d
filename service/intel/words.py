"""Sentences the products write about a gun, kept as a message and its values.

The products are computed once and read in several languages: the API and the CSV,
GeoJSON and report downloads keep English, the pages show the viewer's language. So
a sentence such as "trace request 4 to manufacturer Zastava Arms" is not built as a
string where it is computed; it is a :class:`Phrase` (an English gettext message with
``%(name)s`` placeholders and the values to put in), and whoever shows it renders it
with its own ``gettext``. The messages are marked with :func:`N_` so that the pages'
catalog (``service/web/catalog.py``) extracts them with the templates' and the
missing-translation test covers them.

A value is put in as it is (a case reference, a register's name, a number), or, when
it is a :class:`Term` (an API value such as ``manufacturer`` or ``pistol``), as the
viewer's word for it; a date is formatted by the viewer's ``day`` formatter.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Callable


def N_(message: str) -> str:
    """Marks a message for extraction into the pages' catalog; translated when shown."""
    return message


@dataclass(frozen=True)
class Term:
    """An API value (``manufacturer``, ``pistol``...) that the reader gets in their words."""

    value: str


def _plain_term(value: str) -> str:
    return value.replace("_", " ")


@dataclass(frozen=True)
class Phrase:
    msg: str
    args: tuple[tuple[str, Any], ...] = ()

    @classmethod
    def of(cls, msg: str, **args: Any) -> "Phrase":
        return cls(msg, tuple(args.items()))

    def render(self, gettext: Callable[[str], str] | None = None, term: Callable[[str], str] | None = None,
               day: Callable[[date], str] | None = None) -> str:
        """The sentence in one language (English, and API values as they are, by default)."""
        values = {}
        for key, v in self.args:
            if isinstance(v, Phrase):
                v = v.render(gettext, term, day)
            elif isinstance(v, Term):
                v = (term or _plain_term)(v.value)
            elif isinstance(v, date):
                v = day(v) if day else v.isoformat()
            values[key] = v
        return (gettext(self.msg) if gettext else self.msg) % values

    def __str__(self) -> str:
        return self.render()


def text(value: "Phrase | str", gettext=None, term=None, day=None) -> str:
    """A value that is a phrase or already plain text (an opaque reference, free text)."""
    return value.render(gettext, term, day) if isinstance(value, Phrase) else str(value)


# --- the sentences -------------------------------------------------------------------------

def gun_name(make: str | None, model: str | None, kind: str, serial: str | None, record_id: int) -> Phrase:
    """What an analyst calls a gun with a record: make and model (or its type), serial, record."""
    name: Any = " ".join(p for p in (make, model) if p) or Term(kind)
    if serial:
        return Phrase.of(N_("%(name)s s/n %(serial)s (firearm %(id)s)"), name=name, serial=serial, id=record_id)
    return Phrase.of(N_("%(name)s (firearm %(id)s)"), name=name, id=record_id)


def life_cycle_step(status: str) -> Phrase:
    return Phrase.of(N_("step of the firearm's life cycle: %(step)s"), step=Term(f"firearm_{status}"))


def trace_sent(trace_id: int, target: str, to: str, deadline: date | None) -> Phrase:
    if to:
        sent = Phrase.of(N_("trace request %(id)s to %(target)s %(to)s"), id=trace_id, target=Term(target), to=to)
    else:
        sent = Phrase.of(N_("trace request %(id)s to %(target)s"), id=trace_id, target=Term(target))
    if deadline is None:
        return sent
    return Phrase.of(N_("%(request)s, deadline %(deadline)s"), request=sent, deadline=deadline)


def trace_answered(trace_id: int, by: str, no_record: bool) -> Phrase:
    if no_record:
        return Phrase.of(N_("trace request %(id)s: no record held by %(by)s"), id=trace_id, by=by)
    return Phrase.of(N_("trace request %(id)s answered by %(by)s"), id=trace_id, by=by)


def stolen_reported(register: str) -> Phrase:
    return Phrase.of(N_("reported lost or stolen (register %(register)s)"), register=register)


def stolen_match(register: str) -> Phrase:
    return Phrase.of(N_("match on lost-and-stolen register %(register)s"), register=register)


def alert_acknowledged(alert_id: int, register: str) -> Phrase:
    return Phrase.of(N_("alert %(id)s on register %(register)s acknowledged"), id=alert_id, register=register)


def linked_to_case(case: str, hit_id: int | None) -> Phrase:
    if hit_id:
        return Phrase.of(N_("linked to case %(case)s by hit %(hit)s"), case=case, hit=hit_id)
    return Phrase.of(N_("linked to case %(case)s"), case=case)


def trace_node(to: str, status: str) -> Phrase:
    """A trace request's label on the link chart."""
    return Phrase.of(N_("trace to %(to)s (%(status)s)"), to=to, status=Term(status))


def alert_node(register: str) -> Phrase:
    """A lost-and-stolen alert's label on the link chart."""
    return Phrase.of(N_("on lost-and-stolen register %(register)s"), register=register)
