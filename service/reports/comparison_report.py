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
from service.reports.gates import gate_reasons
from service.reports.pairs import ComparedPair
from service.voice import ENGLISH, Voice, verbal

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


def summary_lines(pair: ComparedPair, ctx: ReportContext, v: Voice = ENGLISH
                  ) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The report's statements as (label, value) rows: what was compared, and what was found.

    Written in ``v``'s language; hashes, digests, versions and file names stay as they are."""
    c = pair.comparison
    provenance = [
        (v._("Correlation run"), v._("run %(run)s, candidate rank %(rank)s", run=ctx.run_id, rank=ctx.rank)),
        (v._("A (query)"), ctx.query_case),
        (v._("A file"), ctx.query_file),
        ("A SHA-256", ctx.query_sha256),
        (v._("B (candidate)"), ctx.candidate_case),
        (v._("B file"), ctx.candidate_file),
        ("B SHA-256", ctx.candidate_sha256),
        (v._("Software"), f"ballistics-engine {__version__}"),
        (v._("Algorithm version"), c.algorithm_version),
        (v._("Parameter digest"), c.params_digest),
        (v._("Generated"), v._("%(when)s by %(who)s", when=v.datetime(ctx.generated_at), who=ctx.generated_by)),
    ]
    findings = [
        (v._("Breech-face score"), v.num(c.breech_face_score)),
        (v._("Firing-pin score (r)"), v.num(c.firing_pin_score)),
        (v._("Fused score"), v.num(c.score)),
        ("CMC", v._("%(cmc)s of %(n)s cells (A→B %(ab)s, B→A %(ba)s)", cmc=c.cmc, n=c.n_cells, ab=c.cmc_ab,
                    ba=c.cmc_ba)),
        ("log10 LR", v._("%(log10_lr)s  (LR ≈ %(lr)s; model %(model)s)", log10_lr=v.num(c.log10_lr),
                         lr=v.sig(10 ** c.log10_lr), model=c.lr_model)),
        (v._("Verbal scale (ENFSI)"), verbal(c.verbal, v)),
        (v._("Engine decision"), v.term(c.decision)),
        (v._("Quality gates"), "; ".join(g.text for g in gate_reasons(c.gate_reasons, v)) if c.gate_reasons
         else v._("none fired")),
        (v._("Alignment"), v._("B turned %(deg)s° CCW, centre moved (%(row)s, %(col)s) µm (row, col)",
                               deg=v.num(c.rotation_deg), row=v.num(c.translation_um[0], 1),
                               col=v.num(c.translation_um[1], 1))),
    ]
    if ctx.stored:
        s = ctx.stored
        findings.append((v._("Recorded in run"), v._("fused %(fused)s, log10 LR %(log10_lr)s, %(decision)s",
                         fused=v.num(s.get("fused_score")), log10_lr=v.num(s.get("log10_lr")),
                         decision=v.term(s.get("decision")) if s.get("decision") else v._("n/a"))))
    if ctx.reviews:
        for i, r in enumerate(ctx.reviews, 1):
            label = v._("Examiner decision %(i)s", i=i) if len(ctx.reviews) > 1 else v._("Examiner decision")
            said = v._("%(decision)s by %(examiner)s, %(when)s", decision=v.term(r.decision).upper(),
                       examiner=r.examiner, when=v.datetime(r.at))
            findings.append((label, said + (v._("; note: %(note)s", note=r.notes) if r.notes else "")))
    else:
        findings.append((v._("Examiner decision"), v._("none recorded yet")))
    return provenance, findings


def _draw_rows(fig: Figure | SubFigure, x: float, rows: list[tuple[str, str]], *, width: int, label_w: float,
               mono_label: str = "Parameter digest") -> None:
    root = fig.figure
    line = 11.5  # points per line at 8.5 pt type
    k = 0
    for label, value in rows:
        mono = "SHA-256" in label or label == mono_label
        wrapped = textwrap.wrap(value, width) or [""]
        at = offset_copy(fig.transSubfigure, fig=root, y=-28 - k * line, units="points")
        fig.text(x, 1.0, label, fontsize=8.5, fontweight="bold", va="top", transform=at)
        fig.text(x + label_w, 1.0, "\n".join(wrapped), fontsize=8.5, va="top", transform=at,
                 family="DejaVu Sans Mono" if mono else "DejaVu Sans", linespacing=1.15)
        k += len(wrapped)


def _draw_summary(fig: Figure | SubFigure, pair: ComparedPair, ctx: ReportContext, v: Voice) -> None:
    fig.text(0.015, 0.99, title(v), fontsize=14, fontweight="bold", va="top")
    provenance, findings = summary_lines(pair, ctx, v)
    _draw_rows(fig, 0.015, provenance, width=66, label_w=0.11, mono_label=v._("Parameter digest"))
    _draw_rows(fig, 0.56, findings, width=60, label_w=0.11)


def title(v: Voice = ENGLISH) -> str:
    return v._("Cartridge-case comparison report")


def _draw_caption(fig: Figure | SubFigure, text: str) -> None:
    fig.text(0.01, 0.005, "\n".join(textwrap.wrap(text, 190)), fontsize=7.5, va="bottom", style="italic")


def _page_one(fig: Figure | SubFigure, pair: ComparedPair, ctx: ReportContext, al, v: Voice) -> None:
    top, bottom = fig.subfigures(2, 1, height_ratios=[1.0, 1.75])
    _draw_summary(top, pair, ctx, v)
    body, cap = bottom.subfigures(2, 1, height_ratios=[12, 1])
    _draw_caption(cap, draw_aligned_surfaces(body, pair, al, v))


def _page_two(fig: Figure | SubFigure, pair: ComparedPair, al, v: Voice) -> None:
    absent = pair.a.firing_pin is None or pair.b.firing_pin is None
    top, bottom = fig.subfigures(2, 1, height_ratios=[3, 0.6 if absent else 2.4])
    body, cap = top.subfigures(2, 1, height_ratios=[12, 1])
    _draw_caption(cap, draw_overlay(body, pair, al, v))
    if absent:
        draw_firing_pins(bottom, pair, v)  # a note only; it is its own description
        return
    body2, cap2 = bottom.subfigures(2, 1, height_ratios=[6, 1])
    _draw_caption(cap2, draw_firing_pins(body2, pair, v))


def build_report(pair: ComparedPair, ctx: ReportContext, *, format: str = "pdf", voice: Voice = ENGLISH) -> bytes:
    """The report's bytes: ``format`` "pdf" (two landscape A4 pages) or "png" (one tall image).

    Written in ``voice``'s language (headings, labels, figure titles and axes, captions,
    dates and numbers); the default is the API's plain English."""
    v = voice
    if format not in MEDIA_TYPES:
        raise ValueError(f"report format must be pdf or png, not {format!r}")
    al = align_pair(pair)
    buf = io.BytesIO()
    if format == "pdf":
        meta = {
            "Title": v._("Comparison report, run %(run)s candidate %(rank)s", run=ctx.run_id, rank=ctx.rank),
            "Subject": f"A {ctx.query_sha256} vs B {ctx.candidate_sha256}",
            "Keywords": f"algorithm {pair.comparison.algorithm_version}; params {pair.comparison.params_digest}",
            "Creator": f"ballistics-engine {__version__}",
        }
        with PdfPages(buf, metadata=meta) as pdf:
            for draw in (lambda f: _page_one(f, pair, ctx, al, v), lambda f: _page_two(f, pair, al, v)):
                fig = Figure(figsize=A4_LANDSCAPE)
                FigureCanvasAgg(fig)
                draw(fig)
                pdf.savefig(fig)
    else:
        fig = Figure(figsize=(A4_LANDSCAPE[0], 2 * A4_LANDSCAPE[1]))
        FigureCanvasAgg(fig)
        one, two = fig.subfigures(2, 1)
        _page_one(one, pair, ctx, al, v)
        _page_two(two, pair, al, v)
        fig.savefig(buf, format="png", dpi=110, metadata={"Software": None})
    return buf.getvalue()
