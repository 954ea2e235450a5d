"""Broken and oversized images are refused before (or while) decoding, with one-line messages."""

from __future__ import annotations

import re
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from ballistics_core.cli.app import app
from ballistics_core.errors import ScanFormatError
from ballistics_core.io import DEFAULT_IMAGE_SPACING_UM, read_image, read_scan

from . import hostile as H


@pytest.fixture
def real_png(sample_data: Path, tmp_path: Path) -> Path:
    """An 8-bit PNG rendering of the real scan Fadul 1-1 (6.25 µm, stored as dpi)."""
    return H.png_from_scan(sample_data / "Fadul 1-1.x3p", tmp_path / "fadul11.png")


CASES = {
    "corrupt_png": (lambda s, d: H.corrupt_png(s, d), r"corrupt or truncated image"),
    "truncated_png": (lambda s, d: d.write_bytes(s.read_bytes()[: s.stat().st_size // 2]), r"corrupt or truncated image"),
    "gigantic_png_header": (lambda s, d: H.png_with_header(d, 100_000, 100_000), r"declares 100000 x 100000 pixels, beyond the limit"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_image_refused(case: str, real_png: Path, tmp_path: Path) -> None:
    build, pattern = CASES[case]
    bad = tmp_path / f"{case}.png"
    build(real_png, bad)
    tracemalloc.start()
    try:
        with pytest.raises(ScanFormatError) as info:
            read_scan(bad)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert re.search(pattern, str(info.value)), str(info.value)
    assert "\n" not in str(info.value)
    assert peak < 20_000_000, f"peak {peak} bytes"
    result = CliRunner().invoke(app, ["info", str(bad)])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {bad}: ") and re.search(pattern, lines[0]), result.stderr


def test_png_reads_as_intensity_with_dpi_spacing(real_png: Path) -> None:
    scan = read_image(real_png)
    assert scan.kind == "intensity" and scan.shape == (545, 545)
    assert scan.heights.dtype == np.float32 and 0 <= scan.heights.min() and scan.heights.max() == 255
    assert scan.spacing_um == pytest.approx(6.25, rel=1e-3)
    assert scan.meta["format"] == "png" and scan.meta["spacing_assumed"] is False


def test_spacing_keyword_overrides_and_default_is_flagged(real_png: Path, tmp_path: Path) -> None:
    assert read_image(real_png, spacing_um=3.0).spacing_um == 3.0
    plain = tmp_path / "plain.png"
    Image.open(real_png).save(plain, format="PNG")  # no pHYs chunk
    scan = read_image(plain)
    assert scan.spacing_um == DEFAULT_IMAGE_SPACING_UM
    assert scan.meta["spacing_assumed"] is True and "assumed" in scan.meta["unit_note"]
    screen = tmp_path / "screen.png"
    Image.open(real_png).save(screen, format="PNG", dpi=(72, 72))  # an editor's default, not a microscope
    assert read_image(screen).meta["spacing_assumed"] is True


def test_16bit_tiff_and_rgb_png(real_png: Path, tmp_path: Path) -> None:
    gray8 = np.asarray(Image.open(real_png))
    tif = tmp_path / "scan16.tif"
    Image.fromarray(gray8.astype(np.uint16) * 257).save(tif, format="TIFF", dpi=(4064, 4064))
    scan = read_scan(tif)
    assert scan.meta["format"] == "tiff" and scan.heights.max() == 65535
    assert scan.spacing_um == pytest.approx(25400 / 4064, rel=1e-3)
    rgb = tmp_path / "rgb.png"
    Image.fromarray(np.stack([gray8] * 3, axis=-1)).save(rgb, format="PNG")
    colour = read_scan(rgb)
    assert "grayscale" in colour.meta["color_note"]
    np.testing.assert_allclose(colour.heights, gray8, atol=0.01)


def test_dispatch_is_by_content_not_extension(real_png: Path, sample_data: Path, tmp_path: Path) -> None:
    disguised = tmp_path / "scan.x3p"
    disguised.write_bytes(real_png.read_bytes())
    assert read_scan(disguised).kind == "intensity"
    x3p_as_png = tmp_path / "scan.png"
    x3p_as_png.write_bytes((sample_data / "Fadul 1-1.x3p").read_bytes())
    assert read_scan(x3p_as_png).kind == "topography"
