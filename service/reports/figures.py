"""Review figures of a compared pair, each with a text alternative.

Every function returns a :class:`ReviewFigure`: a ``matplotlib.figure.Figure``
(made without pyplot, so no global state is shared between requests) and an alt
text that says what the figure shows with its key numbers. The ``draw_*`` functions
draw into a given figure or subfigure, so the report can lay several out on a page.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure, SubFigure
from matplotlib.lines import Line2D
from matplotlib.patches import Polygon

from ballistics_core.compare.firing_pin import compare_firing_pins
from ballistics_core.compare.registration import rotate_vector
from ballistics_core.engine import DEFAULT_PARAMS
from service.reports.alignment import CONGRUENT, NO_MATCH, NOT_CONGRUENT, Alignment, align_pair
from service.reports.pairs import ComparedPair
from service.voice import ENGLISH, N_, Voice

# Colour-blind-safe pair for the cells (green / vermillion), grey for cells without a match.
COLOURS = {CONGRUENT: "#1b9e4b", NOT_CONGRUENT: "#d55e00", NO_MATCH: "#9a9a9a"}
# What the cells' legend calls each status, in the reader's language.
CELL_WORDS = {CONGRUENT: N_("congruent"), NOT_CONGRUENT: N_("not congruent"), NO_MATCH: N_("no match")}
# Wide enough for a laptop screen at 100 dpi, tall enough for two square panels.
PANEL_FIGSIZE = (11.0, 5.8)


@dataclass(frozen=True, eq=False)
class ReviewFigure:
    figure: Figure
    alt: str

    def png(self, *, dpi: int = 100) -> bytes:
        return figure_png(self.figure, dpi=dpi)


def figure_png(fig: Figure, *, dpi: int = 100) -> bytes:
    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    return buf.getvalue()


def _new_figure(figsize=PANEL_FIGSIZE) -> Figure:
    fig = Figure(figsize=figsize, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _limits(*images: np.ndarray) -> tuple[float, float]:
    vals = np.concatenate([im[np.isfinite(im)] for im in images])
    if vals.size == 0:
        return -1.0, 1.0
    lo, hi = np.percentile(vals, [1, 99])
    return float(lo), float(hi) if hi > lo else float(lo) + 1.0


def _square(centre, size: float, turn_deg: float) -> np.ndarray:
    """Corners (x, y) of a square of side ``size`` px about ``centre`` (row, col), turned CCW."""
    h = size / 2.0
    corners = [(-h, -h), (-h, h), (h, h), (h, -h)]
    out = []
    for dy, dx in corners:
        ry, rx = rotate_vector(dy, dx, turn_deg)
        out.append((centre[1] + rx, centre[0] + ry))
    return np.array(out)


def _scale_bar(ax, spacing_um: float, shape, v: Voice = ENGLISH) -> None:
    length_um = 500.0 if shape[1] * spacing_um > 1500 else 100.0
    px = length_um / spacing_um
    y = shape[0] * 0.95
    x0 = shape[1] * 0.05
    ax.plot([x0, x0 + px], [y, y], color="black", lw=4, solid_capstyle="butt")
    ax.text(x0 + px / 2, y - shape[0] * 0.02, f"{v.integer(int(length_um))} µm", ha="center", va="bottom", fontsize=10)


def _surface_axes(ax, image, lim, title: str, spacing_um: float, v: Voice = ENGLISH):
    im = ax.imshow(np.ma.masked_invalid(image), cmap="gray", vmin=lim[0], vmax=lim[1], interpolation="nearest")
    ax.set_facecolor("#f3efe4")
    ax.set_title(title, fontsize=12)
    ax.set_xticks([])
    ax.set_yticks([])
    _scale_bar(ax, spacing_um, image.shape, v)
    return im


def _cell_legend(ax, v: Voice = ENGLISH) -> None:
    handles = [
        Line2D([], [], color=COLOURS[k], lw=2.5, ls="-" if k != NO_MATCH else ":", label=v._(CELL_WORDS[k]))
        for k in (CONGRUENT, NOT_CONGRUENT, NO_MATCH)
    ]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.01), ncols=3, fontsize=10, frameon=False)


def _pct(x: float, v: Voice = ENGLISH) -> str:
    return v.num(None if x is None or not np.isfinite(x) else float(x))


def draw_aligned_surfaces(fig: Figure | SubFigure, pair: ComparedPair, al: Alignment, v: Voice = ENGLISH) -> str:
    """A and the aligned B side by side with the cells of A on both; returns the alt text."""
    c = pair.comparison
    cells = al.cells
    lim = _limits(al.a, al.b)
    ax_a, ax_b = fig.subplots(1, 2, sharex=True, sharey=True)
    im = _surface_axes(ax_a, al.a, lim, v._("A (query): %(label)s", label=pair.label_a), al.spacing_um, v)
    _surface_axes(
        ax_b, al.b, lim,
        v._("B (candidate): %(label)s", label=pair.label_b) + "\n"
        + v._("rotated %(deg)s°, shifted (%(row)s, %(col)s) µm", deg=v.num(c.rotation_deg, 1),
              row=v.num(c.translation_um[0], 0), col=v.num(c.translation_um[1], 0)),
        al.spacing_um, v,
    )
    # Congruent cells last, so their outlines stay on top where neighbours share an edge.
    for i in sorted(range(len(cells.status)), key=lambda j: cells.status[j] == CONGRUENT):
        st = cells.status[i]
        style = dict(fill=False, ec=COLOURS[st], lw=2.0 if st == CONGRUENT else 1.3,
                     ls="-" if st != NO_MATCH else ":")
        ax_a.add_patch(Polygon(_square(cells.on_a[i], cells.size_px, 0.0), closed=True, **style))
        if st != NO_MATCH and np.all(np.isfinite(cells.on_b[i])):
            ax_b.add_patch(Polygon(_square(cells.on_b[i], cells.size_px, cells.turn_deg[i]), closed=True, **style))
    _cell_legend(ax_a, v)
    fig.colorbar(im, ax=[ax_a, ax_b], shrink=0.8,
                 label=v._("height (µm)") if pair.a.kind == "topography" else v._("intensity"))
    n = len(cells.status)
    return v._(
        "Breech-face surfaces side by side: A (%(a)s) on the left; B (%(b)s) on the right, rotated %(deg)s degrees "
        "counter-clockwise and its centre moved by %(row)s µm in rows and %(col)s µm in columns so that it lies on "
        "A. %(n)s cells of A are outlined on both: %(congruent)s congruent (green), %(not_congruent)s matched but "
        "not congruent (orange), %(no_match)s without a match (grey, dotted). CMC %(cmc)s (A to B %(ab)s, B to A "
        "%(ba)s) of %(cells)s cells.",
        a=pair.label_a, b=pair.label_b, deg=v.num(c.rotation_deg, 1), row=v.num(c.translation_um[0], 0),
        col=v.num(c.translation_um[1], 0), n=n, congruent=cells.count(CONGRUENT),
        not_congruent=cells.count(NOT_CONGRUENT), no_match=cells.count(NO_MATCH), cmc=c.cmc, ab=c.cmc_ab,
        ba=c.cmc_ba, cells=c.n_cells,
    )


def draw_overlay(fig: Figure | SubFigure, pair: ComparedPair, al: Alignment, v: Voice = ENGLISH) -> str:
    """Colour overlay (A magenta, B green) and the difference of standardised heights."""
    both = np.isfinite(al.a) & np.isfinite(al.b)

    def z(img):
        v = img[both] if both.any() else img[np.isfinite(img)]
        mu, sd = (float(v.mean()), float(v.std())) if v.size else (0.0, 1.0)
        return (img - mu) / (sd if sd > 0 else 1.0)

    za, zb = z(al.a), z(al.b)
    ax_o, ax_d = fig.subplots(1, 2, sharex=True, sharey=True)

    def unit(img):
        return np.clip((img + 2.5) / 5.0, 0.0, 1.0)

    rgb = np.ones(al.a.shape + (3,))
    ua, ub = unit(za), unit(zb)
    has_a, has_b = np.isfinite(za), np.isfinite(zb)
    # Where both are measured: equal heights read grey, A above B magenta, B above A green.
    # Where only one is, it is shown dimmed and tinted its own colour.
    blank = ~has_a & ~has_b
    rgb[..., 0] = np.where(has_a, ua, np.where(has_b, 0.75 * ub, 0.96))
    rgb[..., 1] = np.where(has_b, ub, np.where(has_a, 0.75 * ua, 0.96))
    rgb[..., 2] = rgb[..., 0]
    rgb[blank] = 0.96
    ax_o.imshow(rgb, interpolation="nearest")
    ax_o.set_title(v._("Overlay: A magenta, B green"), fontsize=12)
    diff = np.where(both, za - zb, np.nan)
    im = ax_d.imshow(np.ma.masked_invalid(diff), cmap="RdBu_r", vmin=-3, vmax=3, interpolation="nearest")
    ax_d.set_facecolor("#f3efe4")
    ax_d.set_title(v._("A − B standardised (r = %(r)s)", r=_pct(al.overlap_r, v)), fontsize=12)
    for ax in (ax_o, ax_d):
        ax.set_xticks([])
        ax.set_yticks([])
    _scale_bar(ax_d, al.spacing_um, al.a.shape, v)
    fig.colorbar(im, ax=[ax_o, ax_d], shrink=0.8, label=v._("A − B (standard deviations)"))
    spread = float(np.nanstd(diff)) if both.any() else float("nan")
    return v._(
        "Overlay of A (%(a)s) in magenta and the aligned B (%(b)s) in green, where matching heights read grey; "
        "beside it the difference of the standardised heights (red: A higher, blue: B higher). Over the "
        "%(overlap)s of the smaller surface where both are measured, the Pearson correlation is %(r)s and the "
        "difference has a spread of %(spread)s standard deviations.",
        a=pair.label_a, b=pair.label_b, overlap=v.percent(al.overlap_fraction), r=_pct(al.overlap_r, v),
        spread=_pct(spread, v),
    )


@dataclass(frozen=True)
class FiringPinMatch:
    r: float
    angle_deg: float


def match_firing_pins(pair: ComparedPair) -> FiringPinMatch | None:
    """Best rotation of B's firing-pin impression onto A's, or None when either lacks one."""
    a, b = pair.a, pair.b
    if a.firing_pin is None or b.firing_pin is None:
        return None
    r, angle = compare_firing_pins(
        a.firing_pin, b.firing_pin,
        radial_step_um=max(a.firing_pin_spacing_um, b.firing_pin_spacing_um) or 1.0,
        max_radial_shift_um=DEFAULT_PARAMS.firing_pin.max_radial_shift_um,
    )
    return FiringPinMatch(float(r), float(angle))


def draw_firing_pins(fig: Figure | SubFigure, pair: ComparedPair, v: Voice = ENGLISH) -> str:
    """The unwrapped firing-pin impressions, B turned by the best shift; or a note when absent."""
    m = match_firing_pins(pair)
    if m is None:
        missing = [lab for lab, s in (("A", pair.a), ("B", pair.b)) if s.firing_pin is None]
        ax = fig.subplots()
        ax.set_axis_off()
        if len(missing) == 2:
            first = v._("No firing-pin comparison: A and B have no firing-pin impression in the signature")
        else:
            first = v._("No firing-pin comparison: %(side)s has no firing-pin impression in the signature",
                        side=missing[0])
        text = first + "\n" + v._("(scans already cropped to the breech face carry none). The decision rests "
                                   "on the breech face alone.")
        ax.text(0.5, 0.5, text, ha="center", va="center", fontsize=12, wrap=True, transform=ax.transAxes)
        return text.replace("\n", " ")
    a, b = pair.a.firing_pin, pair.b.firing_pin
    n_t = b.shape[1]
    shift = int(round(m.angle_deg / 360.0 * n_t)) if np.isfinite(m.angle_deg) else 0
    # compare_firing_pins pairs b[:, j] with a[:, j + shift]: rolling b by shift lays it on a.
    b_turned = np.roll(b, shift, axis=1)
    lim = _limits(a, b_turned)
    axes = fig.subplots(2, 1, sharex=True)
    extent_r = pair.a.firing_pin_spacing_um or 1.0
    for ax, img, title in (
        (axes[0], a, f"A: {pair.label_a}"),
        (axes[1], b_turned, v._("B: %(label)s, turned %(deg)s°", label=pair.label_b, deg=v.num(m.angle_deg, 1))),
    ):
        im = ax.imshow(np.ma.masked_invalid(img), cmap="gray", vmin=lim[0], vmax=lim[1], aspect="auto",
                       extent=(0, 360, img.shape[0] * extent_r, 0), interpolation="nearest")
        ax.set_facecolor("#f3efe4")
        ax.set_title(title, fontsize=11)
        ax.set_ylabel(v._("radius (µm)"))
    axes[1].set_xlabel(v._("angle (degrees)"))
    fig.colorbar(im, ax=list(axes), shrink=0.8, label=v._("height (µm)"))
    fig.suptitle(v._("Firing-pin impressions unwrapped; best correlation r = %(r)s", r=_pct(m.r, v)), fontsize=12)
    return v._(
        "Firing-pin impressions of A (%(a)s) and B (%(b)s) unwrapped to angle (across) and radius (down), B turned "
        "by %(deg)s degrees, the shift at which they correlate best (Pearson r = %(r)s).",
        a=pair.label_a, b=pair.label_b, deg=v.num(m.angle_deg, 1), r=_pct(m.r, v),
    )


def aligned_surfaces_figure(pair: ComparedPair, alignment: Alignment | None = None,
                            v: Voice = ENGLISH) -> ReviewFigure:
    fig = _new_figure()
    alt = draw_aligned_surfaces(fig, pair, alignment or align_pair(pair), v)
    return ReviewFigure(fig, alt)


def overlay_figure(pair: ComparedPair, alignment: Alignment | None = None, v: Voice = ENGLISH) -> ReviewFigure:
    fig = _new_figure()
    alt = draw_overlay(fig, pair, alignment or align_pair(pair), v)
    return ReviewFigure(fig, alt)


def firing_pin_figure(pair: ComparedPair, v: Voice = ENGLISH) -> ReviewFigure:
    absent = pair.a.firing_pin is None or pair.b.firing_pin is None
    fig = _new_figure((11.0, 1.6) if absent else (11.0, 5.0))
    alt = draw_firing_pins(fig, pair, v)
    return ReviewFigure(fig, alt)


FIGURES = {
    "surfaces": aligned_surfaces_figure,
    "overlay": overlay_figure,
    "firing_pin": lambda pair, alignment=None, v=ENGLISH: firing_pin_figure(pair, v),
}


def review_figures(pair: ComparedPair, alignment: Alignment | None = None,
                   v: Voice = ENGLISH) -> dict[str, ReviewFigure]:
    """All three review figures in ``v``'s language, sharing one alignment (computed when not given:
    it does not depend on the language, so a page in several languages computes it once)."""
    al = alignment or align_pair(pair)
    return {name: make(pair, al, v) for name, make in FIGURES.items()}
