"""Reports as documents, rendered to self-contained HTML or to PDF.

HTML embeds every figure as a base64 PNG, so the file is the whole report; PDF is
written by matplotlib's PdfPages (tables drawn as matplotlib tables), so neither
needs a browser, LaTeX or any other external program.

A document is written in one language: its builder puts the headings, captions and
column names in it, and rendering writes the cells (dates, numbers, yes/no, the
products' sentences and API values) with the same :class:`service.voice.Voice`.
"""

from __future__ import annotations

import base64
import html
import io
from dataclasses import dataclass, field
from typing import Any

from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from service.voice import ENGLISH, Voice

PDF_ROWS_PER_PAGE = 32


@dataclass
class Table:
    columns: list[str]
    rows: list[list[Any]]
    caption: str = ""


@dataclass
class Section:
    heading: str
    paragraphs: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)


@dataclass
class ReportDocument:
    title: str
    meta: dict[str, Any]
    sections: list[Section]
    voice: Voice = ENGLISH


class Plain(str):
    """A cell kept as it is in every language (a year, an identifier that looks like a number)."""


def cell(value: Any, v: Voice = ENGLISH) -> str:
    from datetime import date, datetime

    from service.intel.words import Phrase, Term

    if value is None:
        return "–"
    if isinstance(value, Plain):
        return str(value)
    if isinstance(value, bool):
        return v.yes_no(value)
    if isinstance(value, float):
        if v.code is None:
            return f"{value:.3g}" if abs(value) < 1000 else f"{value:.0f}"
        return v.sig(value) if abs(value) < 1000 else v.integer(round(value))
    if isinstance(value, int) and v.code is not None:
        return v.integer(value)
    if isinstance(value, datetime):
        return v.datetime(value)
    if isinstance(value, date):
        return v.date(value)
    if isinstance(value, (Phrase, Term)):
        return v.say(value)
    return str(value)


def figure_png(fig: Figure, *, dpi: int = 100) -> bytes:
    buf = io.BytesIO()
    # No Software/time stamps in the PNG: the same figure gives the same bytes.
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    return buf.getvalue()


_CSS = """
body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:1100px}
h1{font-size:1.5em}h2{font-size:1.2em;border-bottom:1px solid #ccc;margin-top:1.6em}
table{border-collapse:collapse;margin:0.6em 0;font-size:0.85em}
th,td{border:1px solid #bbb;padding:2px 6px;text-align:left}th{background:#eee}
caption{caption-side:top;text-align:left;font-weight:bold;padding:4px 0}
dl.meta{display:grid;grid-template-columns:max-content auto;gap:2px 12px;font-size:0.85em}
dl.meta dt{font-weight:bold}img{max-width:100%;margin:0.5em 0}
"""


def render_html(doc: ReportDocument) -> bytes:
    e = html.escape
    v = doc.voice
    out = [
        "<!DOCTYPE html>",
        f'<html lang="{v.tag}"><head><meta charset="utf-8">',
        f"<title>{e(doc.title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{e(doc.title)}</h1>",
        '<dl class="meta">',
    ]
    for k, val in doc.meta.items():
        out.append(f"<dt>{e(str(k))}</dt><dd>{e(cell(val, v))}</dd>")
    out.append("</dl>")
    for section in doc.sections:
        out.append(f"<h2>{e(section.heading)}</h2>")
        out.extend(f"<p>{e(p)}</p>" for p in section.paragraphs)
        for fig in section.figures:
            data = base64.b64encode(figure_png(fig)).decode("ascii")
            out.append(f'<img alt="{e(section.heading)}" src="data:image/png;base64,{data}">')
        for table in section.tables:
            out.append("<table>")
            if table.caption:
                out.append(f"<caption>{e(table.caption)}</caption>")
            out.append("<tr>" + "".join(f"<th>{e(c)}</th>" for c in table.columns) + "</tr>")
            for row in table.rows:
                out.append("<tr>" + "".join(f"<td>{e(cell(x, v))}</td>" for x in row) + "</tr>")
            out.append("</table>")
    out.append("</body></html>")
    return "\n".join(out).encode("utf-8")


def _text_page(title: str, lines: list[str]) -> Figure:
    fig = Figure(figsize=(8.27, 11.69))
    fig.text(0.07, 0.95, title, fontsize=15, weight="bold", va="top", wrap=True)
    y = 0.9
    for line in lines:
        fig.text(0.07, y, line, fontsize=9, va="top", wrap=True)
        y -= 0.022 * (1 + len(line) // 110)
        if y < 0.05:
            break
    return fig


def _table_pages(heading: str, table: Table, v: Voice = ENGLISH) -> list[Figure]:
    pages = []
    chunks = [table.rows[i:i + PDF_ROWS_PER_PAGE] for i in range(0, len(table.rows), PDF_ROWS_PER_PAGE)] or [[]]
    for k, chunk in enumerate(chunks):
        fig = Figure(figsize=(11.69, 8.27))
        ax = fig.add_axes([0.03, 0.03, 0.94, 0.87])
        ax.set_axis_off()
        suffix = f" ({k + 1}/{len(chunks)})" if len(chunks) > 1 else ""
        fig.text(0.03, 0.96, f"{heading}: {table.caption}{suffix}", fontsize=11, weight="bold", va="top")
        if chunk:
            t = ax.table(cellText=[[cell(x, v) for x in row] for row in chunk], colLabels=table.columns,
                         loc="upper left", cellLoc="left")
            t.auto_set_font_size(False)
            t.set_fontsize(6.5 if len(table.columns) > 10 else 7.5)
            t.auto_set_column_width(list(range(len(table.columns))))
        else:
            ax.text(0, 1, v._("(no rows)"), va="top")
        pages.append(fig)
    return pages


def render_pdf(doc: ReportDocument) -> bytes:
    buf = io.BytesIO()
    v = doc.voice
    with PdfPages(buf, metadata={"Title": doc.title, "Creator": "ballistics-engine focal point"}) as pdf:
        pdf.savefig(_text_page(doc.title, [f"{k}: {cell(val, v)}" for k, val in doc.meta.items()]))
        for section in doc.sections:
            if section.paragraphs:
                pdf.savefig(_text_page(section.heading, section.paragraphs))
            for fig in section.figures:
                pdf.savefig(fig)
            for table in section.tables:
                for page in _table_pages(section.heading, table, v):
                    pdf.savefig(page)
    return buf.getvalue()
