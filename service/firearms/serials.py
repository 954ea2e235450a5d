"""Serial numbers: one normal form, and exact, wildcard and fuzzy search over it.

The same gun is entered by different people from a worn, stamped surface: in upper
or lower case, with or without the dashes, spaces and dots of the stamping, and
with characters that look alike (O and 0, I and 1) read either way. Each serial is
stored as entered and in a normal form that removes those differences:

- letters are upper-cased (also full-width and accented forms, via NFKD);
- separators (space, ``- / . _ : ,``) are removed;
- look-alike letters are folded onto the digit they resemble
  (``O Q D`` -> ``0``, ``I L`` -> ``1``, ``Z`` -> ``2``, ``S`` -> ``5``,
  ``G`` -> ``6``, ``B`` -> ``8``).

Folding makes distinct serials share a normal form now and then (``AB-10`` and
``A8-IO`` both read ``A810``); for a search that only proposes candidates to a
person who then looks at the gun, a false candidate costs little and a missed gun
costs a case. The serial as entered is kept and shown next to every match.

Partly obliterated serials are searched with wildcards: ``?`` for one unreadable
character, ``*`` for any run of them.
"""

from __future__ import annotations

import re
import unicodedata

from rapidfuzz import fuzz, process

MAX_LENGTH = 40
SEPARATORS = " \t-/._:,"
LOOKALIKES = str.maketrans({"O": "0", "Q": "0", "D": "0", "I": "1", "L": "1", "Z": "2", "S": "5", "G": "6", "B": "8"})
_ALLOWED = re.compile(r"^[A-Z0-9]+$")
_SEPARATOR_RE = re.compile("[" + re.escape(SEPARATORS) + "]+")


class SerialError(ValueError):
    """A serial (or serial pattern) that cannot be searched; the message says why."""


def _fold(text: str) -> str:
    # NFKD splits accents off and maps full-width forms to ASCII; drop the accents.
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).upper()


def normalise(serial: str) -> str:
    """The searchable form of a serial number; ``""`` for an empty one.

    Raises
    ------
    SerialError
        The serial holds characters that are neither letters, digits nor separators,
        or is longer than ``MAX_LENGTH`` characters once separators are removed.
    """
    core = _SEPARATOR_RE.sub("", _fold(serial.strip()))
    if not core:
        return ""
    if not _ALLOWED.match(core):
        bad = sorted({c for c in core if not ("A" <= c <= "Z" or "0" <= c <= "9")})
        raise SerialError(f"serial number contains characters that are not letters, digits or separators: {''.join(bad)!r}")
    if len(core) > MAX_LENGTH:
        raise SerialError(f"serial number is longer than {MAX_LENGTH} characters")
    return core.translate(LOOKALIKES)


def normalise_pattern(pattern: str) -> str:
    """A wildcard pattern (``?`` one character, ``*`` any run) in normal form."""
    parts = re.split(r"([?*])", pattern.strip())
    out = []
    for part in parts:
        if part in ("?", "*"):
            out.append(part)
        elif part:
            # A part made only of separators normalises to "" and is dropped.
            out.append(normalise(part))
    text = "".join(out)
    if not text.strip("*"):
        raise SerialError("a wildcard pattern needs at least one readable character or '?'")
    if sum(c.isalnum() for c in text) < 2:
        raise SerialError("a wildcard pattern needs at least two readable characters")
    return re.sub(r"\*+", "*", text)


def like_pattern(normal_pattern: str) -> str:
    """SQL LIKE for a normalised wildcard pattern (normal forms hold no ``%`` or ``_``)."""
    return normal_pattern.replace("*", "%").replace("?", "_")


def matches_pattern(normal_pattern: str, normal_serial: str) -> bool:
    regex = "".join("." if c == "?" else ".*" if c == "*" else re.escape(c) for c in normal_pattern)
    return re.fullmatch(regex, normal_serial) is not None


def fuzzy(query: str, choices: dict[int, str], *, min_score: float = 75.0, limit: int = 50) -> list[tuple[int, float]]:
    """``(id, score 0-100)`` of the normal forms closest to ``query`` (also normalised).

    The score is rapidfuzz's normalised Indel similarity; a serial with one character
    misread out of eight scores about 88.
    """
    found = process.extract(query, choices, scorer=fuzz.ratio, score_cutoff=min_score, limit=limit)
    return [(key, float(score)) for _, score, key in found]
