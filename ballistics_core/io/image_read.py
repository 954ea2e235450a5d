"""Read grayscale PNG/TIFF images (2D ring-light micrographs) as intensity scans.

Image dimensions are checked from the header before any pixel is decoded.
Lateral spacing comes from the ``spacing_um`` keyword, else from the DPI
stored in the file (PNG pHYs, TIFF resolution tags) when it describes a
microscope rather than a screen, else ``DEFAULT_IMAGE_SPACING_UM`` with
``meta["spacing_assumed"] = True``.
"""

from __future__ import annotations

import math
import struct
import warnings
import zlib

import numpy as np
from PIL import Image

from ballistics_core.errors import ScanContentError, ScanFormatError
from ballistics_core.io.limits import MAX_IMAGE_PIXELS, MAX_SIDE
from ballistics_core.io.source import ScanSource, SourceFile, open_source
from ballistics_core.scan import Scan

#: Spacing used when neither the caller nor the file gives one: a placeholder
#: that keeps pixel units readable (1 px = 1 µm); ``meta`` says it is assumed.
DEFAULT_IMAGE_SPACING_UM = 1.0

#: DPI-derived spacings outside this band (µm) come from screen defaults such
#: as 72 or 96 dpi, not from a microscope, and are ignored.
PLAUSIBLE_SPACING_UM = (0.01, 100.0)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
TIFF_MAGICS = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")

_UM_PER_INCH = 25_400.0
_FORMATS = {"PNG": "png", "TIFF": "tiff"}
# ITU-R BT.601 luma weights, as Pillow's own RGB -> L conversion uses.
_LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float64)


def is_image(head: bytes) -> bool:
    return head.startswith(PNG_MAGIC) or head[:4] in TIFF_MAGICS


def read_image(source: ScanSource, *, name: str | None = None, spacing_um: float | None = None) -> Scan:
    """Read a grayscale 8/16-bit PNG or TIFF as ``kind="intensity"``.

    Parameters
    ----------
    source : path or bytes
    name : str, optional
        Name recorded as ``meta["source"]``.
    spacing_um : float, optional
        Pixel size in µm; overrides anything stored in the file.

    Returns
    -------
    Scan
        ``heights`` holds the intensity as float32 (0-255 or 0-65535).
        Colour images are converted to luma (BT.601) and ``meta["color_note"]``
        says so.

    Raises
    ------
    ScanFormatError
        Not a PNG/TIFF, corrupt or truncated, too large, or non-square pixels.
    ScanContentError
        An image with no pixel.
    """
    src = open_source(source, name=name)
    return read_image_source(src, spacing_um=spacing_um)


def read_image_source(src: SourceFile, *, spacing_um: float | None = None) -> Scan:
    if not is_image(src.head):
        raise ScanFormatError("not a PNG or TIFF image")
    if spacing_um is not None and not (math.isfinite(spacing_um) and spacing_um > 0):
        raise ScanFormatError(f"spacing_um must be positive, got {spacing_um!r}")
    if src.head.startswith(PNG_MAGIC) and src.head[12:16] == b"IHDR":
        # Checked before Pillow sees the file so the limit and message are ours.
        _check_dimensions(*struct.unpack(">II", src.head[16:24]))
    with src.open() as fh:
        try:
            with warnings.catch_warnings():
                # Our own pixel limit is checked below, and damage that matters raises;
                # Pillow's warnings (bomb, odd TIFF tags) would only clutter one-line CLI errors.
                warnings.simplefilter("ignore")
                img = Image.open(fh)
                fmt = _FORMATS.get(img.format or "")
                if fmt is None:
                    raise ScanFormatError(f"unsupported image format {img.format}: only PNG and TIFF are read")
                width, height = img.size
                _check_dimensions(width, height)
                n_frames = getattr(img, "n_frames", 1)
                info = dict(img.info)
                img.load()
                values, mode_note = _to_gray(img)
        except (ScanFormatError, ScanContentError):
            raise
        except Image.DecompressionBombError as exc:
            raise ScanFormatError(f"image is too large (Pillow decompression-bomb limit): {_one_line(exc)}") from None
        except (OSError, SyntaxError, ValueError, EOFError, zlib.error, struct.error, IndexError, KeyError) as exc:
            raise ScanFormatError(f"corrupt or truncated image: {_one_line(exc)}") from None

    meta: dict = {
        "source": src.name,
        "format": fmt,
        "sha256": src.sha256,
        "instrument": "",
        "date": str(info.get("date", "") or ""),
        "creator": "",
        "unit_z_detected": "intensity",
        "md5_status": "absent",
        "original_size": (height, width),
        "image_mode": mode_note[0],
    }
    if mode_note[1]:
        meta["color_note"] = mode_note[1]
    if n_frames > 1:
        meta["frames_note"] = f"image has {n_frames} frames: the first was read"

    spacing, unit_xy, unit_note, assumed = _spacing(info, spacing_um)
    meta.update(unit_xy_detected=unit_xy, unit_note=unit_note, spacing_assumed=assumed)
    return Scan(heights=values, spacing_um=spacing, meta=meta, kind="intensity")


def _check_dimensions(width: int, height: int) -> None:
    if width <= 0 or height <= 0:
        raise ScanContentError(f"image has no pixel ({width} x {height})")
    if width > MAX_SIDE or height > MAX_SIDE or width * height > MAX_IMAGE_PIXELS:
        raise ScanFormatError(
            f"image declares {width} x {height} pixels, beyond the limit of {MAX_IMAGE_PIXELS} "
            f"pixels ({MAX_SIDE} per side)"
        )


def _to_gray(img: Image.Image) -> tuple[np.ndarray, tuple[str, str]]:
    mode = img.mode
    if mode in ("L", "I", "F") or mode.startswith("I;16"):
        return np.asarray(img).astype(np.float32), (mode, "")
    if mode == "1":
        return np.asarray(img).astype(np.float32) * 255.0, (mode, "1-bit image scaled to 0/255")
    if mode == "LA":
        return np.asarray(img)[..., 0].astype(np.float32), (mode, "alpha channel dropped")
    if mode in ("RGB", "RGBA", "P", "PA", "CMYK", "YCbCr"):
        rgb = np.asarray(img.convert("RGB")).astype(np.float64)
        gray = (rgb @ _LUMA).astype(np.float32)
        return gray, (mode, f"{mode} image converted to grayscale (BT.601 luma)")
    raise ScanFormatError(f"unsupported image mode {mode!r}")


def _spacing(info: dict, spacing_um: float | None) -> tuple[float, str, str, bool]:
    if spacing_um is not None:
        return float(spacing_um), "um", "spacing given by the caller", False
    dpi = info.get("dpi")
    if dpi is not None:
        try:
            dx, dy = (float(v) for v in dpi)
        except (TypeError, ValueError):
            dx = dy = float("nan")
        if math.isfinite(dx) and math.isfinite(dy) and dx > 0 and dy > 0:
            sx, sy = _UM_PER_INCH / dx, _UM_PER_INCH / dy
            lo, hi = PLAUSIBLE_SPACING_UM
            if lo <= sx <= hi:
                if abs(sx - sy) > 0.01 * max(sx, sy):
                    raise ScanFormatError(
                        f"non-square pixels: {dx:g} x {dy:g} dpi ({sx:.4g} vs {sy:.4g} µm); resample first"
                    )
                return float(f"{sx:.10g}"), "um", f"spacing from image resolution {dx:g} dpi", False
            note = (
                f"image resolution {dx:g} dpi ({sx:.4g} µm) is not a microscope resolution: "
                f"spacing assumed {DEFAULT_IMAGE_SPACING_UM:g} µm"
            )
            return DEFAULT_IMAGE_SPACING_UM, "assumed", note, True
    note = f"no resolution in the file: spacing assumed {DEFAULT_IMAGE_SPACING_UM:g} µm"
    return DEFAULT_IMAGE_SPACING_UM, "assumed", note, True


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__
