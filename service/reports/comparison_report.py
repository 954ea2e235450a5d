"""The comparison report for the case file, as a PDF (two A4 pages) or one PNG.

It states what produced the result (software, algorithm version, parameter digest),
what was compared (SHA-256 of both evidence files), the scores, congruent matching
cells, likelihood ratio and the engine's decision, the examiners' recorded decisions
and notes, and the review figures with their text descriptions. Drawn with
matplotlib only (``PdfPages``), so no external program is needed.
"""

from __future__ import annotations

import io
import textwrap
from dataclasses import dataclass, field
from datetime import datetime

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure, SubFigure
from matplotlib.transforms import offset_copy

from ballistics_core import __version__
from service.reports.alignment import align_pair
from service.reports.figures import draw_aligned_surfaces, draw_firing_pins, draw_overlay
from service.reports.pairs import ComparedPair

A4_LANDSCAPE = (11.69, 8.27)
MEDIA_TYPES = {"pdf": "application/pdf", "png": "image/png"}


@dataclass(frozen=True)
class RecordedReview:
    decision: str
    notes: str
    examiner: str
    at: datetime


@dataclass(frozen=True)
class ReportContext:
    """What the report says besides the comparison itself.

    ``query_case`` / ``candidate_case`` are as the reader may see them (a case
    reference, or a jurisdiction and opaque reference for undisclosed cases).
    ``stored`` holds the run's recorded scores for the candidate.
    """

    run_id: int
    rank: int
    query_case: str
    candidate_case: str
    query_file: str
    query_sha256: str
    candidate_file: str
    candidate_sha256: str
    generated_by: str
    generated_at: datetime
    stored: dict = field(default_factory=dict)
    reviews: tuple[RecordedReview, ...] = ()


def _num(x, fmt: str = "{:.2f}") -> str:
    return "n/a" if x is None else fmt.format(x)


def summary_lines(pair: ComparedPair, ctx: ReportContext) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The report's statements as (label, value) rows: what was compared, and what was found."""
    c = pair.comparison
    provenance = [
        ("Correlation run", f"run {ctx.run_id}, candidate rank {ctx.rank}"),
        ("A (query)", ctx.query_case),
        ("A file", ctx.query_file),
        ("A SHA-256", ctx.query_sha256),
        ("B (candidate)", ctx.candidate_case),
        ("B file", ctx.candidate_file),
        ("B SHA-256", ctx.candidate_sha256),
        ("Software", f"ballistics-engine {__version__}"),
        ("Algorithm version", c.algorithm_version),
        ("Parameter digest", c.params_digest),
        ("Generated", f"{ctx.generated_at:%Y-%m-%d %H:%M:%S} UTC by {ctx.generated_by}"),
    ]
    findings = [
        ("Breech-face score", _num(c.breech_face_score)),
        ("Firing-pin score (r)", _num(c.firing_pin_score)),
        ("Fused score", _num(c.score)),
        ("CMC", f"{c.cmc} of {c.n_cells} cells (A→B {c.cmc_ab}, B→A {c.cmc_ba})"),
        ("log10 LR", _num(c.log10_lr) + f"  (LR ≈ {10 ** c.log10_lr:.3g}; model {c.lr_model})"),
        ("Verbal scale (ENFSI)", c.verbal),
        ("Engine decision", c.decision),
        ("Quality gates", "; ".join(c.gate_reasons) if c.gate_reasons else "none fired"),
        ("Alignment", f"B turned {c.rotation_deg:.2f}° CCW, centre moved "
                      f"({c.translation_um[0]:.1f}, {c.translation_um[1]:.1f}) µm (row, col)"),
    ]
    if ctx.stored:
        s = ctx.stored
        findings.append(("Recorded in run", f"fused {_num(s.get('fused_score'))}, log10 LR "
                         f"{_num(s.get('log10_lr'))}, {s.get('decision') or 'n/a'}"))
    if ctx.reviews:
        for i, r in enumerate(ctx.reviews, 1):
            note = f"; note: {r.notes}" if r.notes else ""
            findings.append((f"Examiner decision {i}" if len(ctx.reviews) > 1 else "Examiner decision",
                             f"{r.decision.upper()} by {r.examiner}, {r.at:%Y-%m-%d %H:%M} UTC{note}"))
    else:
        findings.append(("Examiner decision", "none recorded yet"))
    return provenance, findings


def _draw_rows(fig: Figure | SubFigure, x: float, rows: list[tuple[str, str]], *, width: int, label_w: float) -> None:
    root = fig.figure
    line = 11.5  # points per line at 8.5 pt type
    k = 0
    for label, value in rows:
        mono = "SHA-256" in label or "digest" in label
        wrapped = textwrap.wrap(value, width) or [""]
        at = offset_copy(fig.transSubfigure, fig=root, y=-28 - k * line, units="points")
        fig.text(x, 1.0, label, fontsize=8.5, fontweight="bold", va="top", transform=at)
        fig.text(x + label_w, 1.0, "\n".join(wrapped), fontsize=8.5, va="top", transform=at,
                 family="DejaVu Sans Mono" if mono else "DejaVu Sans", linespacing=1.15)
        k += len(wrapped)


def _draw_summary(fig: Figure | SubFigure, pair: ComparedPair, ctx: ReportContext) -> None:
    fig.text(0.015, 0.99, "Cartridge-case comparison report", fontsize=14, fontweight="bold", va="top")
    provenance, findings = summary_lines(pair, ctx)
    _draw_rows(fig, 0.015, provenance, width=66, label_w=0.11)
    _draw_rows(fig, 0.56, findings, width=60, label_w=0.11)


def _draw_caption(fig: Figure | SubFigure, text: str) -> None:
    fig.text(0.01, 0.005, "\n".join(textwrap.wrap(text, 190)), fontsize=7.5, va="bottom", style="italic")


def _page_one(fig: Figure | SubFigure, pair: ComparedPair, ctx: ReportContext, al) -> None:
    top, bottom = fig.subfigures(2, 1, height_ratios=[1.0, 1.75])
    _draw_summary(top, pair, ctx)
    body, cap = bottom.subfigures(2, 1, height_ratios=[12, 1])
    _draw_caption(cap, draw_aligned_surfaces(body, pair, al))


def _page_two(fig: Figure | SubFigure, pair: ComparedPair, al) -> None:
    absent = pair.a.firing_pin is None or pair.b.firing_pin is None
    top, bottom = fig.subfigures(2, 1, height_ratios=[3, 0.6 if absent else 2.4])
    body, cap = top.subfigures(2, 1, height_ratios=[12, 1])
    _draw_caption(cap, draw_overlay(body, pair, al))
    if absent:
        draw_firing_pins(bottom, pair)  # a note only; it is its own description
        return
    body2, cap2 = bottom.subfigures(2, 1, height_ratios=[6, 1])
    _draw_caption(cap2, draw_firing_pins(body2, pair))


def build_report(pair: ComparedPair, ctx: ReportContext, *, format: str = "pdf") -> bytes:
    """The report's bytes: ``format`` "pdf" (two landscape A4 pages) or "png" (one tall image)."""
    if format not in MEDIA_TYPES:
        raise ValueError(f"report format must be pdf or png, not {format!r}")
    al = align_pair(pair)
    buf = io.BytesIO()
    if format == "pdf":
        meta = {
            "Title": f"Comparison report, run {ctx.run_id} candidate {ctx.rank}",
            "Subject": f"A {ctx.query_sha256} vs B {ctx.candidate_sha256}",
            "Keywords": f"algorithm {pair.comparison.algorithm_version}; params {pair.comparison.params_digest}",
            "Creator": f"ballistics-engine {__version__}",
        }
        with PdfPages(buf, metadata=meta) as pdf:
            for draw in (lambda f: _page_one(f, pair, ctx, al), lambda f: _page_two(f, pair, al)):
                fig = Figure(figsize=A4_LANDSCAPE)
                FigureCanvasAgg(fig)
                draw(fig)
                pdf.savefig(fig)
    else:
        fig = Figure(figsize=(A4_LANDSCAPE[0], 2 * A4_LANDSCAPE[1]))
        FigureCanvasAgg(fig)
        one, two = fig.subfigures(2, 1)
        _page_one(one, pair, ctx, al)
        _page_two(two, pair, al)
        fig.savefig(buf, format="png", dpi=110, metadata={"Software": None})
    return buf.getvalue()
