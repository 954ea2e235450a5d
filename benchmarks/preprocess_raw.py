"""Raw scans through ``ballistics_core.preprocess`` versus the reference-processed versions.

For each pair (raw scan, reference processed by cmcR / DFSC), the raw scan is
preprocessed at the reference's spacing, aligned to the reference (rotation
grid search, translation by masked normalised cross-correlation) and scored by:

* ``corr``: Pearson correlation over jointly valid pixels after alignment;
* ``iou``: intersection over union of the two breech-face masks at that pose;
* ``corr_cell_band``: the same correlation after the comparison's own
  long-wavelength cut-off (``CompareParams.cell_highpass_um``, 150 µm), i.e. in
  the band the cells are correlated in. Reference pipelines differ in their
  long cut-off (DFSC keeps waves the engine's 500 µm band-pass removes), which
  lowers ``corr`` without touching what the comparison sees.

Writes ``benchmarks/results/preprocess/preprocess_raw.{json,md}`` and one PNG
per pair (raw, ours, reference, difference). Run:

    .venv/bin/python benchmarks/preprocess_raw.py [--data ../shared/data]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from scipy import ndimage as ndi
from skimage.registration import phase_cross_correlation

from ballistics_core.compare.params import CompareParams
from ballistics_core.io import read_scan
from ballistics_core.preprocess import PreprocessParams, preprocess_scan
from ballistics_core.preprocess.filters import bandpass

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "benchmarks" / "results" / "preprocess"

PAIRS = [
    ("fadul_raw/Fadul 1-1 raw.x3p", "fadul/Fadul 1-1.x3p", False),
    ("fadul_raw/Fadul 1-2 raw.x3p", "fadul/Fadul 1-2.x3p", False),
    ("fadul_raw/Fadul 2-1 raw.x3p", "fadul/Fadul 2-1.x3p", False),
    ("dfsc/K013sA1 raw.x3p", "dfsc/K013sA1.x3p", False),
    ("dfsc/K013sA1 raw.x3p", "dfsc/K013sA1.x3p", True),
    ("dfsc/K013sA2 raw.x3p", "dfsc/K013sA2.x3p", False),
    ("dfsc/K013sA2 raw.x3p", "dfsc/K013sA2.x3p", True),
]


def _pad_to(a: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    out = np.full(shape, np.nan)
    out[: a.shape[0], : a.shape[1]] = a
    return out


def _shifted(a: np.ndarray, dy: int, dx: int) -> np.ndarray:
    out = np.full_like(a, np.nan)
    H, W = a.shape
    ys, yd = (slice(0, H - dy), slice(dy, H)) if dy >= 0 else (slice(-dy, H), slice(0, H + dy))
    xs, xd = (slice(0, W - dx), slice(dx, W)) if dx >= 0 else (slice(-dx, W), slice(0, W + dx))
    out[yd, xd] = a[ys, xs]
    return out


def _rotate_nan(a: np.ndarray, angle_deg: float) -> np.ndarray:
    if angle_deg == 0:
        return a
    v = np.isfinite(a)
    r = ndi.rotate(np.where(v, a, 0.0), angle_deg, order=1, reshape=True, cval=0.0)
    w = ndi.rotate(v.astype(float), angle_deg, order=1, reshape=True, cval=0.0)
    return np.where(w > 0.99, r / np.maximum(w, 1e-9), np.nan)


def masked_pearson(a: np.ndarray, b: np.ndarray) -> tuple[float, int]:
    j = np.isfinite(a) & np.isfinite(b)
    n = int(j.sum())
    if n < 100:
        return float("nan"), n
    return float(np.corrcoef(a[j], b[j])[0, 1]), n


def align(ours: np.ndarray, ref: np.ndarray, angles=np.arange(-3.0, 3.01, 0.5)):
    """Best rotation + translation of ``ours`` onto ``ref`` by masked correlation."""
    best = None
    for ang in angles:
        mov = _rotate_nan(ours, float(ang))
        shape = (max(mov.shape[0], ref.shape[0]) + 64, max(mov.shape[1], ref.shape[1]) + 64)
        R, M = _pad_to(ref, shape), _pad_to(mov, shape)
        rv, mv = np.isfinite(R), np.isfinite(M)
        shift = phase_cross_correlation(np.where(rv, R, 0), np.where(mv, M, 0),
                                        reference_mask=rv, moving_mask=mv, overlap_ratio=0.7)[0]
        dy, dx = int(round(shift[0])), int(round(shift[1]))
        M2 = _shifted(M, dy, dx)
        c, n = masked_pearson(M2, R)
        if best is None or c > best[0]:
            best = (c, n, float(ang), (dy, dx), M2, R)
    return best


def figure(raw, ours_aligned, ref, title):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(16, 4.4))
    axes = fig.subplots(1, 4)
    diff = ours_aligned - ref
    for ax, img, name in zip(axes, [raw, ours_aligned, ref, diff],
                             ["raw input", "ours (aligned)", "reference", "ours - reference"]):
        v = img[np.isfinite(img)]
        lo, hi = (np.percentile(v, [1, 99]) if v.size else (0, 1))
        if name.startswith("ours -") or name.startswith("ours") or name == "reference":
            m = max(abs(lo), abs(hi))
            lo, hi = -m, m
        im = ax.imshow(img, cmap="gray" if name == "raw input" else "RdBu_r", vmin=lo, vmax=hi)
        ax.set_title(name)
        ax.set_axis_off()
        fig.colorbar(im, ax=ax, fraction=0.046, label="µm")
    fig.suptitle(title)
    return fig


def run(data: Path, params: PreprocessParams) -> list[dict]:
    OUT.mkdir(parents=True, exist_ok=True)
    rows = []
    for raw_rel, ref_rel, use_mask in PAIRS:
        raw = read_scan(data / raw_rel)
        ref = read_scan(data / ref_rel)
        if not use_mask:
            raw = raw.replace(mask=None)
        elif raw.mask is None:
            continue
        t0 = time.perf_counter()
        p = PreprocessParams(**{**params.__dict__, "target_spacing_um": ref.spacing_um})
        ours = preprocess_scan(raw, params=p)
        seconds = time.perf_counter() - t0
        corr, n, ang, (dy, dx), ours_al, ref_pad = align(np.array(ours.heights, float), np.array(ref.heights, float))
        a, b = np.isfinite(ours_al), np.isfinite(ref_pad)
        iou = float((a & b).sum() / max((a | b).sum(), 1))
        cut = CompareParams().cell_highpass_um
        corr_band, _ = masked_pearson(bandpass(ours_al, spacing_um=ref.spacing_um, short_cutoff_um=None, long_cutoff_um=cut),
                                      bandpass(ref_pad, spacing_um=ref.spacing_um, short_cutoff_um=None, long_cutoff_um=cut))
        name = Path(raw_rel).stem + (" with-mask" if use_mask else "")
        row = {
            "raw": raw_rel, "reference": ref_rel, "annotation_mask": use_mask,
            "state": ours.meta["preprocess_state"],
            "corr": round(corr, 4), "corr_cell_band": round(corr_band, 4), "iou": round(iou, 4), "joint_pixels": n,
            "rotation_deg": ang, "shift_px": [dy, dx], "seconds": round(seconds, 2),
            "primer_radius_um": ours.meta.get("primer_radius_um"),
            "firing_pin_radius_um": ours.meta.get("firing_pin_radius_um"),
        }
        rows.append(row)
        print(json.dumps(row))
        raw_view = np.array(raw.heights, float)
        fig = figure(raw_view, ours_al, ref_pad, f"{name}: corr {corr:.3f}, IoU {iou:.3f}, rot {ang:+.1f}°")
        fig.savefig(OUT / f"{name.replace(' ', '_')}.png", dpi=70)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    args = ap.parse_args()
    params = PreprocessParams()
    rows = run(args.data, params)
    summary = {"params_digest": params.digest(), "params": params.as_dict(), "pairs": rows}
    (OUT / "preprocess_raw.json").write_text(json.dumps(summary, indent=1))
    lines = ["| raw | reference | annotation mask | corr | corr, cell band | IoU | rotation (deg) | shift (px) | seconds |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['raw']} | {r['reference']} | {'yes' if r['annotation_mask'] else 'no'} | "
                     f"{r['corr']:.3f} | {r['corr_cell_band']:.3f} | {r['iou']:.3f} | {r['rotation_deg']:+.1f} | {r['shift_px']} | {r['seconds']} |")
    (OUT / "preprocess_raw.md").write_text(
        f"# Raw scans vs reference processing\n\nparams digest `{params.digest()}`; "
        "corr = Pearson over jointly valid pixels after alignment, IoU of the two breech-face masks.\n\n"
        + "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
