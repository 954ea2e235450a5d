"""Broken and hostile X3P files are refused with a one-line message naming the problem.

Every file is built in tmp_path from the real scan ``sample_data/Fadul 1-1.x3p``
(545 x 545 float64, metres); the builders keep checksums consistent so that
exactly one defect is present.
"""

from __future__ import annotations

import re
import struct
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from ballistics_core.cli.app import app
from ballistics_core.errors import ScanContentError, ScanFormatError
from ballistics_core.io import read_scan, read_x3p

from . import hostile as H

REAL = "Fadul 1-1.x3p"


def _nan_data(data: bytes) -> bytes:
    return np.full(len(data) // 8, np.nan, dtype="<f8").tobytes()


def _flip_byte(data: bytes) -> bytes:
    buf = bytearray(data)
    buf[len(buf) // 2] ^= 0xFF
    return bytes(buf)


# case id -> (builder(src, dst), expected error, pattern in the message)
CASES = {
    "not_a_zip": (lambda s, d: d.write_bytes(bytes(range(256)) * 40), ScanFormatError, r"not a ZIP archive"),
    "truncated_zip": (lambda s, d: d.write_bytes(s.read_bytes()[: s.stat().st_size // 2]), ScanFormatError, r"corrupt or truncated ZIP"),
    "missing_main_xml": (lambda s, d: H.rebuild(s, d, drop=("main.xml",)), ScanFormatError, r"main\.xml is missing"),
    "missing_data_bin": (lambda s, d: H.rebuild(s, d, drop=("bindata/data.bin",)), ScanFormatError, r"bindata/data\.bin is missing"),
    "md5_mismatch": (lambda s, d: H.rebuild(s, d, data=_flip_byte, keep_data_md5=True), ScanFormatError, r"MD5 checksum mismatch for bindata/data\.bin"),
    "main_xml_md5_mismatch": (
        lambda s, d: H.write_zip(d, {**H.members(s), "md5checksum.hex": b"0123456789abcdef0123456789abcdef\n"}),
        ScanFormatError, r"MD5 checksum mismatch for main\.xml"),
    "data_shorter": (lambda s, d: H.rebuild(s, d, data=lambda b: b[:-8]), ScanFormatError, r"shorter than declared"),
    "data_longer": (lambda s, d: H.rebuild(s, d, data=lambda b: b + b"\0" * 8), ScanFormatError, r"longer than declared"),
    "main_xml_not_xml": (lambda s, d: H.rebuild(s, d, xml=lambda t: "this is <not> xml <<<"), ScanFormatError, r"main\.xml is not well-formed XML"),
    "xml_doctype": (lambda s, d: H.rebuild(s, d, xml=H.with_doctype), ScanFormatError, r"main\.xml refused: .*DOCTYPE"),
    "xml_billion_laughs": (lambda s, d: H.rebuild(s, d, xml=H.billion_laughs), ScanFormatError, r"main\.xml refused: .*entit"),
    "size_zero": (lambda s, d: H.rebuild(s, d, xml=lambda t: H.set_tag(t, "SizeX", "0")), ScanFormatError, r"SizeX must be a positive integer, got 0"),
    "size_negative": (lambda s, d: H.rebuild(s, d, xml=lambda t: H.set_tag(t, "SizeY", "-545")), ScanFormatError, r"SizeY must be a positive integer, got -545"),
    "increment_zero": (
        lambda s, d: H.rebuild(s, d, xml=lambda t: H.set_tag(t, "Increment", "0", parent="CX")),
        ScanFormatError, r"CX increment must be positive"),
    "increment_negative": (
        lambda s, d: H.rebuild(s, d, xml=lambda t: H.set_tag(t, "Increment", "-6.25e-06", parent="CY")),
        ScanFormatError, r"CY increment must be positive"),
    "increment_ambiguous_0.5": (
        lambda s, d: H.rebuild(s, d, xml=lambda t: H.set_tag(H.set_tag(t, "Increment", "0.5", parent="CX"), "Increment", "0.5", parent="CY")),
        ScanFormatError, r"CX increment 0\.5 fits neither metres .* nor micrometres"),
    "increment_tiny_1e-12": (
        lambda s, d: H.rebuild(s, d, xml=lambda t: H.set_tag(H.set_tag(t, "Increment", "1e-12", parent="CX"), "Increment", "1e-12", parent="CY")),
        ScanFormatError, r"CX increment 1e-12 fits neither"),
    "non_square": (
        lambda s, d: H.rebuild(s, d, xml=lambda t: H.set_tag(t, "Increment", "7e-06", parent="CY")),
        ScanFormatError, r"non-square sampling"),
    "all_nan": (lambda s, d: H.rebuild(s, d, data=_nan_data), ScanContentError, r"no measured point: all 297025 heights are NaN"),
    "declared_huge_grid": (
        lambda s, d: H.rebuild(s, d, xml=lambda t: H.set_tag(H.set_tag(t, "SizeX", "1000000"), "SizeY", "1000000")),
        ScanFormatError, r"declared grid 1000000 x 1000000 points exceeds the limit"),
    "unsupported_data_type": (
        lambda s, d: H.rebuild(s, d, xml=lambda t: H.set_tag(t, "DataType", "Q", parent="CZ")),
        ScanFormatError, r"unsupported X3P CZ DataType 'Q'"),
}

# read_scan dispatches on content; for non-ZIP bytes it names what it found instead.
CLI_PATTERN = {"not_a_zip": r"unrecognised file content"}


@pytest.fixture
def real_x3p(sample_data: Path) -> Path:
    path = sample_data / REAL
    assert path.is_file(), f"{path} missing: sample_data/ is part of the repository"
    return path


@pytest.mark.parametrize("case", sorted(CASES))
def test_read_x3p_refuses(case: str, real_x3p: Path, tmp_path: Path) -> None:
    build, error, pattern = CASES[case]
    bad = tmp_path / f"{case}.x3p"
    build(real_x3p, bad)
    with pytest.raises(error) as info:
        read_x3p(bad)
    message = str(info.value)
    assert re.search(pattern, message), message
    assert "\n" not in message
    # The bytes path (uploads) gives the same answer.
    with pytest.raises(error, match=pattern):
        read_x3p(bad.read_bytes())


@pytest.mark.parametrize("case", sorted(CASES))
def test_cli_info_reports_one_line_and_exits_2(case: str, real_x3p: Path, tmp_path: Path) -> None:
    build, _, pattern = CASES[case]
    bad = tmp_path / f"{case}.x3p"
    build(real_x3p, bad)
    result = CliRunner().invoke(app, ["info", str(bad)])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"error: {bad}: ")
    assert re.search(CLI_PATTERN.get(case, pattern), lines[0]), lines[0]
    assert "Traceback" not in result.output


def test_zip_bomb_refused_without_decompressing(real_x3p: Path, tmp_path: Path) -> None:
    bomb = H.zip_bomb(real_x3p, tmp_path / "bomb.x3p", side=4000)
    assert bomb.stat().st_size < 1_000_000  # 128 MB of point data in well under 1 MB
    tracemalloc.start()
    try:
        with pytest.raises(ScanFormatError, match=r"bindata/data\.bin refused as a possible ZIP bomb: .*\(ratio \d+, limit"):
            read_x3p(bomb)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8_000_000, f"peak {peak} bytes: the member was decompressed"
    result = CliRunner().invoke(app, ["info", str(bomb)])
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "ZIP bomb" in result.stderr


def test_member_larger_than_its_zip_header_says_is_refused(real_x3p: Path, tmp_path: Path) -> None:
    """A ZIP header that under-reports data.bin's size cannot make the reader read past it."""
    files = H.members(real_x3p)
    declared = len(files["bindata/data.bin"])
    files["bindata/data.bin"] += b"\0" * 4096
    lying = bytearray(H.write_zip(tmp_path / "full.x3p", files).read_bytes())
    name = b"bindata/data.bin"
    # Uncompressed-size field: offset 22 in the local header, 24 in the central directory.
    for sig, size_off, name_off in ((b"PK\x03\x04", 22, 30), (b"PK\x01\x02", 24, 46)):
        pos = 0
        while (pos := lying.find(sig, pos)) != -1:
            if lying[pos + name_off : pos + name_off + len(name)] == name:
                lying[pos + size_off : pos + size_off + 4] = struct.pack("<I", declared)
            pos += 4
    bad = tmp_path / "lying.x3p"
    bad.write_bytes(bytes(lying))
    with pytest.raises(ScanFormatError, match=r"bindata/data\.bin is (longer than its ZIP header says|corrupt)"):
        read_x3p(bad)


def test_read_scan_names_other_formats(tmp_path: Path) -> None:
    jpeg = tmp_path / "scan.x3p"
    jpeg.write_bytes(b"\xff\xd8\xff\xe0" + b"\0" * 100)
    with pytest.raises(ScanFormatError, match=r"JPEG"):
        read_scan(jpeg)
    empty = tmp_path / "empty.x3p"
    empty.write_bytes(b"")
    with pytest.raises(ScanFormatError, match=r"file is empty"):
        read_scan(empty)


def test_random_damage_gives_only_scan_errors(real_x3p: Path) -> None:
    """Byte flips and truncations anywhere never escape as anything but a ScanFormatError/ScanContentError."""
    from ballistics_core.errors import BallisticsError

    base = real_x3p.read_bytes()
    rng = np.random.default_rng(20240611)
    refused = 0
    for i in range(60):
        data = bytearray(base)
        if i % 3 == 2:
            data = data[: int(rng.integers(1, len(data)))]
        else:
            # Either anywhere, or inside the central directory at the end.
            span = len(data) if i % 3 == 0 else 400
            for _ in range(int(rng.integers(1, 8))):
                data[len(data) - 1 - int(rng.integers(span))] = int(rng.integers(256))
        try:
            read_scan(bytes(data))
        except BallisticsError as exc:
            assert "\n" not in str(exc)
            refused += 1
    assert refused >= 45  # most damage is caught by CRC/MD5/structure checks
