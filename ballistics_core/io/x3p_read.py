"""Read X3P (ISO 5436-2) surface files into a :class:`~ballistics_core.scan.Scan`.

The archive is treated as hostile: the ZIP central directory and main.xml are
read first, every declared size is checked against the limits in
:mod:`ballistics_core.io.limits` and against each other, and only then is the
point data decompressed, in chunks, into a buffer of exactly the declared size.
"""

from __future__ import annotations

import hashlib
import zipfile
import zlib

import numpy as np

from ballistics_core.errors import ScanContentError, ScanFormatError
from ballistics_core.io.limits import (
    MAX_CHECKSUM_FILE_BYTES,
    MAX_COMPRESSION_RATIO,
    MAX_MASK_FILE_BYTES,
    MAX_MEMBERS,
    MAX_XML_BYTES,
    RATIO_CHECK_MIN_BYTES,
)
from ballistics_core.io.source import ScanSource, SourceFile, open_source
from ballistics_core.io.units import (
    TO_UM,
    detect_height_unit,
    detect_lateral_unit,
    increment_to_um,
    robust_height_range,
)
from ballistics_core.io.x3p_header import DATA_TYPES, X3PHeader, parse_main_xml
from ballistics_core.io.x3p_mask import decode_mask
from ballistics_core.scan import Scan

MAIN_XML = "main.xml"
CHECKSUM_FILE = "md5checksum.hex"
MASK_PNG = "bindata/mask.png"

#: Largest relative difference between CX and CY increments read as square pixels.
SQUARE_TOLERANCE = 0.01

_CHUNK = 16 << 20
_ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError, RuntimeError)


def read_x3p(source: ScanSource, *, name: str | None = None) -> Scan:
    """Read an X3P file (path or bytes) as a topography scan in micrometres.

    Parameters
    ----------
    source : path or bytes
        The X3P archive.
    name : str, optional
        Name recorded as ``meta["source"]``; defaults to the file name.

    Returns
    -------
    Scan
        ``heights`` (SizeY, SizeX) float32 in µm, NaN where unmeasured;
        ``spacing_um``; ``mask`` from ``bindata/mask.png`` if present; ``meta``
        with provenance, detected units and checksum status.

    Raises
    ------
    ScanFormatError
        Not a ZIP, corrupt, hostile (bomb, entity expansion), inconsistent
        sizes, checksum mismatch, unsupported variant, or undeterminable units.
    ScanContentError
        The surface holds no measured point.
    """
    src = open_source(source, name=name)
    return read_x3p_source(src)


def read_x3p_source(src: SourceFile) -> Scan:
    if not src.head.startswith(b"PK"):
        raise ScanFormatError("not an X3P file: not a ZIP archive")
    with src.open() as fh:
        try:
            zf = zipfile.ZipFile(fh)
        except _ZIP_ERRORS as exc:
            raise ScanFormatError(f"corrupt or truncated ZIP archive: {_one_line(exc)}") from None
        with zf:
            return _read_archive(zf, src)


def _read_archive(zf: zipfile.ZipFile, src: SourceFile) -> Scan:
    infos = zf.infolist()
    if len(infos) > MAX_MEMBERS:
        raise ScanFormatError(f"X3P archive has {len(infos)} members, more than the limit of {MAX_MEMBERS}")
    members = {info.filename: info for info in infos}
    for info in infos:
        if info.flag_bits & 0x1:
            raise ScanFormatError(f"X3P member {info.filename} is encrypted")

    if MAIN_XML not in members:
        raise ScanFormatError("not an X3P file: main.xml is missing from the archive")
    xml_bytes = _read_member(zf, members[MAIN_XML], max_bytes=MAX_XML_BYTES)
    header = parse_main_xml(xml_bytes)
    xml_md5_status = _check_xml_checksum(zf, members, xml_bytes)

    info = members.get(header.data_link)
    if info is None:
        raise ScanFormatError(f"X3P point data {header.data_link} is missing from the archive")
    _check_point_data_sizes(info, header)

    unit_xy, note_xy = detect_lateral_unit(header.increment_x, "CX")
    unit_y, _ = detect_lateral_unit(header.increment_y, "CY")
    if unit_y != unit_xy:
        raise ScanFormatError(
            f"CX increment {header.increment_x:g} ({unit_xy}) and CY increment {header.increment_y:g} ({unit_y}) "
            "are in different units"
        )
    spacing_x = increment_to_um(header.increment_x, unit_xy)
    spacing_y = increment_to_um(header.increment_y, unit_xy)
    if abs(spacing_x - spacing_y) > SQUARE_TOLERANCE * max(spacing_x, spacing_y):
        raise ScanFormatError(
            f"non-square sampling: CX {spacing_x:g} µm vs CY {spacing_y:g} µm differ by more than "
            f"{SQUARE_TOLERANCE:.0%}; resample the scan to square pixels first"
        )

    raw, md5 = _read_exact(zf, info, header.data_bytes)
    if header.md5_point_data is not None:
        if md5 != header.md5_point_data:
            raise ScanFormatError(
                f"MD5 checksum mismatch for {header.data_link}: computed {md5}, main.xml declares "
                f"{header.md5_point_data} (file corrupted or altered)"
            )
        md5_status = "ok"
    else:
        md5_status = "absent"

    stored = np.frombuffer(raw, dtype=DATA_TYPES[header.data_type])
    z_scale = header.z_increment if header.data_type in ("I", "L") else 1.0
    unit_z, note_z = detect_height_unit(
        robust_height_range(stored, scale=z_scale, offset=header.z_offset), unit_xy
    )
    values, n_inf = _to_micrometres(stored, z_scale * TO_UM[unit_z], header.z_offset * TO_UM[unit_z])
    del stored, raw
    if not np.isfinite(values).any():
        raise ScanContentError(f"surface has no measured point: all {values.size} heights are NaN")
    heights = values.reshape(header.size_y, header.size_x)

    meta = {
        "source": src.name,
        "format": "x3p",
        "sha256": src.sha256,
        "instrument": " ".join(p for p in (header.manufacturer, header.model) if p),
        "instrument_version": header.version,
        "date": header.date,
        "creator": header.creator,
        "comment": header.comment,
        "unit_xy_detected": unit_xy,
        "unit_z_detected": unit_z,
        "unit_note": f"{note_xy}; {note_z}",
        "md5_status": md5_status,
        "xml_md5_status": xml_md5_status,
        "x3p_revision": header.revision,
        "data_type": header.data_type,
        "original_size": (header.size_y, header.size_x),
        "increment_xy_stored": (header.increment_x, header.increment_y),
    }
    if spacing_x != spacing_y:
        meta["spacing_note"] = f"CX {spacing_x:g} µm and CY {spacing_y:g} µm differ by under 1%: CX used"
    if n_inf:
        meta["infinite_as_nan"] = n_inf

    mask = None
    mask_info = members.get(MASK_PNG)
    if mask_info is not None:
        png = _read_member(zf, mask_info, max_bytes=MAX_MASK_FILE_BYTES)
        mask, mask_note = decode_mask(png, heights.shape, header.mask_background)
        meta["mask_note"] = mask_note
        if mask is not None:
            meta["mask_source"] = "x3p mask.png"
    return Scan(heights=heights, spacing_um=spacing_x, mask=mask, meta=meta, kind="topography")


def _check_point_data_sizes(info: zipfile.ZipInfo, header: X3PHeader) -> None:
    expected = header.data_bytes
    declared = f"SizeX*SizeY = {header.size_x}*{header.size_y} points of DataType {header.data_type} need {expected} bytes"
    if info.file_size < expected:
        raise ScanFormatError(f"point data is shorter than declared: {header.data_link} holds {info.file_size} bytes, {declared}")
    if info.file_size > expected:
        raise ScanFormatError(f"point data is longer than declared: {header.data_link} holds {info.file_size} bytes, {declared}")
    _check_ratio(info)


def _check_ratio(info: zipfile.ZipInfo) -> None:
    if info.file_size >= RATIO_CHECK_MIN_BYTES:
        ratio = info.file_size / max(info.compress_size, 1)
        if ratio > MAX_COMPRESSION_RATIO:
            raise ScanFormatError(
                f"{info.filename} refused as a possible ZIP bomb: {info.compress_size} bytes expand to "
                f"{info.file_size} (ratio {ratio:.0f}, limit {MAX_COMPRESSION_RATIO:.0f})"
            )


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, *, max_bytes: int) -> bytes:
    if info.file_size > max_bytes:
        raise ScanFormatError(f"{info.filename} is too large: {info.file_size} bytes (limit {max_bytes})")
    _check_ratio(info)
    buf, _ = _read_exact(zf, info, info.file_size)
    return bytes(buf)


def _read_exact(zf: zipfile.ZipFile, info: zipfile.ZipInfo, size: int) -> tuple[bytearray, str]:
    """Decompress exactly ``size`` bytes in chunks; a member that disagrees with its header is refused."""
    buf = bytearray(size)
    view = memoryview(buf)
    md5 = hashlib.md5()
    pos = 0
    try:
        with zf.open(info) as member:
            while pos < size:
                chunk = member.read(min(_CHUNK, size - pos))
                if not chunk:
                    break
                view[pos : pos + len(chunk)] = chunk
                md5.update(chunk)
                pos += len(chunk)
            extra = member.read(1) if pos == size else b""
    except _ZIP_ERRORS as exc:
        raise ScanFormatError(f"{info.filename} is corrupt: {_one_line(exc)}") from None
    finally:
        view.release()
    if pos < size:
        raise ScanFormatError(f"{info.filename} is shorter than its ZIP header says: {pos} of {size} bytes")
    if extra:
        raise ScanFormatError(f"{info.filename} is longer than its ZIP header says ({size} bytes)")
    return buf, md5.hexdigest()


def _check_xml_checksum(zf: zipfile.ZipFile, members: dict, xml_bytes: bytes) -> str:
    info = members.get(CHECKSUM_FILE)
    if info is None:
        return "absent"
    text = _read_member(zf, info, max_bytes=MAX_CHECKSUM_FILE_BYTES).decode("ascii", "replace").split()
    if not text or len(text[0]) != 32:
        return "unreadable"
    if text[0].lower() != hashlib.md5(xml_bytes).hexdigest():
        raise ScanFormatError(
            f"MD5 checksum mismatch for main.xml: {CHECKSUM_FILE} declares {text[0].lower()} (file corrupted or altered)"
        )
    return "ok"


def _to_micrometres(stored: np.ndarray, scale: float, offset: float) -> tuple[np.ndarray, int]:
    """``stored * scale + offset`` as float32, computed in float64 chunk by chunk.

    Scaling in float64 before the single rounding to float32 keeps a write/read
    round trip exact.  R writes NA as a signalling NaN (payload 1954), which
    makes ``np.nanmin`` and ``np.fmin`` return NaN; every non-finite value is
    rewritten as a plain NaN.  Infinities are counted so meta can record them.
    """
    out = np.empty(stored.size, dtype=np.float32)
    n_inf = 0
    step = 1 << 22
    with np.errstate(invalid="ignore", over="ignore"):
        for start in range(0, stored.size, step):
            chunk = stored[start : start + step].astype(np.float64)
            if scale != 1.0:
                chunk *= scale
            if offset != 0.0:
                chunk += offset
            part = out[start : start + step]
            part[...] = chunk
            bad = ~np.isfinite(part)
            if bad.any():
                n_inf += int(np.count_nonzero(np.isinf(part)))
                part[bad] = np.nan
    return out, n_inf


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__
