"""Decode a FiX3P annotation mask (``bindata/mask.png``) into a boolean ROI.

Orientation: mask.png row 0 lies on data row 0 (the first SizeX values of
data.bin), with no flip.  Checked on the DFSC scans ``K013sA1 raw`` and
``K013sA2 raw`` by eye (as stored, the inner edge of the annotated annulus
follows the edge of the firing-pin-impression plateau and the annulus lies on
the flat primer face) and numerically: the heights under the mask are close to
a plane only as stored.  Residual std after a plane fit, as stored / flipped
up-down / left-right / rotated 180: K013sA1 5.1 / 10.6 / 19.3 / 20.1 µm,
K013sA2 6.0 / 68.3 / 19.1 / 68.7 µm (tests/io/test_x3p_real.py).

Colours: pixels that differ from the background colour are the region of
interest.  The background is ``Record3/Mask/Background`` when main.xml declares
it; otherwise the FiX3P default ``#cd7f32`` if the image contains it, else
black (the DFSC raw masks declare nothing and are black with a white ROI).
Fully transparent pixels are background.
"""

from __future__ import annotations

import io
import warnings
import zlib

import numpy as np
from PIL import Image

from ballistics_core.errors import ScanFormatError
from ballistics_core.io.limits import MAX_MASK_PIXELS
from ballistics_core.io.x3p_header import parse_hex_colour

#: Background colour FiX3P / x3ptools use when none is declared.
FIX3P_DEFAULT_BACKGROUND = (0xCD, 0x7F, 0x32)
BLACK = (0, 0, 0)


def decode_mask(png_bytes: bytes, shape: tuple[int, int], background: str | None) -> tuple[np.ndarray | None, str]:
    """Boolean region-of-interest mask of ``shape`` and a note on how it was made.

    Returns ``(None, note)`` when the image marks no pixel as region of interest.
    """
    rgba = _load_rgba(png_bytes)
    notes = []
    if background is not None:
        bg = parse_hex_colour(background)
        notes.append(f"background {background} declared in main.xml")
    else:
        rgb = rgba[..., :3]
        if np.all(rgb == FIX3P_DEFAULT_BACKGROUND, axis=-1).any():
            bg = FIX3P_DEFAULT_BACKGROUND
            notes.append("no background declared: FiX3P default #cd7f32 assumed")
        else:
            bg = BLACK
            notes.append("no background declared and no #cd7f32 pixel: black assumed as background")
    roi = np.any(rgba[..., :3] != np.asarray(bg, dtype=np.uint8), axis=-1) & (rgba[..., 3] > 0)

    ny, nx = shape
    mh, mw = roi.shape
    if (mh, mw) != (ny, nx):
        # Nearest neighbour keeps the mask binary; sample at pixel centres.
        rows = np.minimum(((np.arange(ny) + 0.5) * mh / ny).astype(np.intp), mh - 1)
        cols = np.minimum(((np.arange(nx) + 0.5) * mw / nx).astype(np.intp), mw - 1)
        roi = roi[rows[:, None], cols[None, :]]
        notes.append(f"mask.png is {mh} x {mw}, resized (nearest neighbour) to the {ny} x {nx} grid")
    if not roi.any():
        notes.append("mask.png marks no region of interest: ignored")
        return None, "; ".join(notes)
    return roi, "; ".join(notes)


def _load_rgba(png_bytes: bytes) -> np.ndarray:
    try:
        with warnings.catch_warnings():
            # Sizes are checked against our own limit below; Pillow's warning adds nothing.
            warnings.simplefilter("ignore")
            img = Image.open(io.BytesIO(png_bytes))
            if img.format != "PNG":
                raise ScanFormatError(f"bindata/mask.png is not a PNG image (found {img.format})")
            width, height = img.size
            if width <= 0 or height <= 0 or width * height > MAX_MASK_PIXELS:
                raise ScanFormatError(
                    f"bindata/mask.png declares {width} x {height} pixels, beyond the limit of {MAX_MASK_PIXELS}"
                )
            img.load()
            return np.asarray(img.convert("RGBA"))
    except Image.DecompressionBombError as exc:
        raise ScanFormatError(f"bindata/mask.png is too large: {' '.join(str(exc).split())}") from None
    except (OSError, SyntaxError, ValueError, EOFError, zlib.error) as exc:
        raise ScanFormatError(f"bindata/mask.png is corrupt: {' '.join(str(exc).split())}") from None
