"""The pages' message catalog: what is to be translated, and updating the .po files.

``extract()`` collects every message of the templates (``_()``, ``{% trans %}``), of
the page modules (``_()``, ``N_()``), of the products' sentences about a gun
(``service/intel/words.py``, ``N_()``), of the reports (the comparison report and
the intelligence products' HTML and PDF documents: ``v._()`` of a
:class:`service.voice.Voice`), of the refusal reasons (``service/reasons.py``), of the
audit chain's break reasons (``service/audit.py``) and of a register file's refusals
(``service/firearms/stolen.py``). ``python -m service.web.catalog`` writes
``locale/messages.pot`` and merges it into each language's ``messages.po`` (new
messages arrive untranslated, obsolete ones are dropped); the translators then fill
in the empty ``msgstr``. ``tests/service/web/test_i18n.py`` fails while any is empty.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from service.web.i18n import LOCALE_DIR, TRANSLATED

HERE = Path(__file__).resolve().parent
KEYWORDS = {"_": None, "gettext": None, "N_": None, "ngettext": (1, 2)}
METHODS = [("templates/**.html", "jinja2"), ("*.py", "python")]
SERVICE = HERE.parent
# Outside the pages: (folder under service/, files) whose messages the pages' catalog holds too.
OTHERS = [
    ("intel", ["words.py", "reports.py", "figures.py", "render.py"]),
    ("reports", ["comparison_report.py", "figures.py", "gates.py"]),
    (".", ["voice.py", "reasons.py", "audit.py"]),
    ("firearms", ["stolen.py"]),
]
OPTIONS = {"templates/**.html": {"extensions": "jinja2.ext.i18n", "trimmed": "false"}}


def extract() -> Catalog:
    catalog = Catalog(project="ballistics-engine pages", msgid_bugs_address="", charset="utf-8")
    for filename, lineno, message, comments, context in extract_from_dir(
        HERE, METHODS, keywords=KEYWORDS, options_map=OPTIONS, strip_comment_tags=True
    ):
        if filename.startswith("catalog") or not message:
            continue
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    # The sentences the products write about a gun (what happened, a gun's name), the
    # reports' words and the refusals' reasons, which the pages and the reports a page
    # hands out say in the reader's language.
    for folder, names in OTHERS:
        methods = [(name, "python") for name in names]
        for filename, lineno, message, comments, context in extract_from_dir(
            SERVICE / folder, methods, keywords=KEYWORDS, strip_comment_tags=True
        ):
            if message:
                where = filename if folder == "." else f"{folder}/{filename}"
                catalog.add(message, None, [(where, lineno)], auto_comments=comments, context=context)
    return catalog


def po_path(code: str) -> Path:
    return LOCALE_DIR / code / "LC_MESSAGES" / "messages.po"


def read(code: str) -> Catalog:
    with po_path(code).open("rb") as fh:
        return read_po(fh, locale=code)


def write(code: str, catalog: Catalog) -> None:
    path = po_path(code)
    catalog.fuzzy = False  # the header: translated catalogs are in use, not drafts
    catalog.project, catalog.copyright_holder = "ballistics-engine pages", "the ballistics-engine authors"
    catalog.last_translator = catalog.language_team = "ballistics-engine authors"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        write_po(fh, catalog, width=100, omit_header=False, sort_output=True, ignore_obsolete=True,
                 include_lineno=False)


def update() -> dict[str, int]:
    """Write the template and merge it into every language; returns untranslated counts."""
    template = extract()
    with (LOCALE_DIR / "messages.pot").open("wb") as fh:
        write_po(fh, template, width=100, sort_output=True, include_lineno=False)
    missing = {}
    for code in TRANSLATED:
        if po_path(code).is_file():
            cat = read(code)
            cat.update(template, no_fuzzy_matching=True)
        else:
            cat = Catalog(locale=code, project="ballistics-engine pages", charset="utf-8")
            cat.update(template, no_fuzzy_matching=True)
        write(code, cat)
        missing[code] = sum(1 for m in cat if m.id and not m.string)
    return missing


if __name__ == "__main__":
    for code, n in update().items():
        print(f"{code}: {n} untranslated")
    sys.exit(0)
