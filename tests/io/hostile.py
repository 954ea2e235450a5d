"""Builders of hostile or broken scan files, derived from real ones."""

from __future__ import annotations

import hashlib
import re
import struct
import zipfile
import zlib
from pathlib import Path
from typing import Callable

import numpy as np
from PIL import Image

from ballistics_core.io import read_x3p

XML = "main.xml"
DATA = "bindata/data.bin"


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {info.filename: zf.read(info) for info in zf.infolist() if not info.is_dir()}


def write_zip(dst: Path, files: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(dst, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return dst


def rebuild(
    src: Path,
    dst: Path,
    *,
    xml: Callable[[str], str] | None = None,
    data: Callable[[bytes], bytes] | None = None,
    drop: tuple[str, ...] = (),
    keep_data_md5: bool = False,
) -> Path:
    """Copy an X3P with main.xml and/or data.bin edited; checksums are kept consistent
    (unless ``keep_data_md5``) so that only the intended defect remains."""
    files = members(src)
    text = files[XML].decode("utf-8")
    if data is not None:
        files[DATA] = data(files[DATA])
        if not keep_data_md5:
            text = set_tag(text, "MD5ChecksumPointData", hashlib.md5(files[DATA]).hexdigest())
    if xml is not None:
        text = xml(text)
    files[XML] = text.encode("utf-8")
    files["md5checksum.hex"] = (hashlib.md5(files[XML]).hexdigest() + "\n").encode()
    for name in drop:
        files.pop(name, None)
    return write_zip(dst, files)


def set_tag(text: str, tag: str, value: str, *, parent: str | None = None) -> str:
    """Replace the text of the first ``<tag>`` (inside ``<parent>`` if given)."""
    if parent is None:
        new, n = re.subn(rf"<{tag}>[^<]*</{tag}>", f"<{tag}>{value}</{tag}>", text, count=1)
    else:
        block = re.search(rf"<{parent}>.*?</{parent}>", text, re.S)
        assert block, parent
        inner = set_tag(block.group(0), tag, value)
        new, n = text.replace(block.group(0), inner, 1), 1
    assert n == 1, tag
    return new


def billion_laughs(text: str) -> str:
    entities = ['<!ENTITY lol "lol">'] + [
        f'<!ENTITY lol{i} "{("&lol%s;" % ("" if i == 1 else i - 1)) * 10}">' for i in range(1, 10)
    ]
    dtd = "<!DOCTYPE p:ISO5436_2 [\n" + "\n".join(entities) + "\n]>\n"
    body = text.split("?>", 1)[1]
    body = set_tag(body, "Comment", "&lol9;")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + dtd + body


def with_doctype(text: str) -> str:
    body = text.split("?>", 1)[1]
    return '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE p:ISO5436_2 SYSTEM "file:///etc/passwd">' + body


def zip_bomb(src: Path, dst: Path, *, side: int = 4000) -> Path:
    """A valid-looking X3P whose data.bin is ``side``^2 float64 zeros: 128 MB that
    deflate to about 125 kB.  Written by streaming, never held in memory."""
    n_bytes = side * side * 8
    chunk = bytes(1 << 20)
    md5 = hashlib.md5()
    for start in range(0, n_bytes, len(chunk)):
        md5.update(chunk[: min(len(chunk), n_bytes - start)])
    text = members(src)[XML].decode()
    text = set_tag(text, "SizeX", str(side))
    text = set_tag(text, "SizeY", str(side))
    text = set_tag(text, "MD5ChecksumPointData", md5.hexdigest())
    xml = text.encode()
    with zipfile.ZipFile(dst, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(XML, xml)
        with zf.open(DATA, "w") as out:
            for start in range(0, n_bytes, len(chunk)):
                out.write(chunk[: min(len(chunk), n_bytes - start)])
        zf.writestr("md5checksum.hex", hashlib.md5(xml).hexdigest() + "\n")
    return dst


def png_from_scan(src: Path, dst: Path) -> Path:
    """An 8-bit grayscale PNG rendering of a real scan's heights."""
    heights = read_x3p(src).heights
    finite = np.nan_to_num(heights, nan=float(np.nanmin(heights)))
    lo, hi = np.percentile(finite, [1, 99])
    gray = (np.clip((finite - lo) / (hi - lo), 0, 1) * 255).astype(np.uint8)
    Image.fromarray(gray, mode="L").save(dst, format="PNG", dpi=(25400 / 6.25, 25400 / 6.25))
    return dst


def _chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def png_with_header(dst: Path, width: int, height: int) -> Path:
    """A syntactically valid PNG declaring ``width`` x ``height`` with one tiny IDAT."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    dst.write_bytes(b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b""))
    return dst


def corrupt_png(src: Path, dst: Path) -> Path:
    """Overwrite the middle of the first IDAT payload with garbage (CRC left stale)."""
    data = bytearray(src.read_bytes())
    pos = data.index(b"IDAT") + 4
    length = struct.unpack(">I", data[pos - 8 : pos - 4])[0]
    mid = pos + length // 2
    data[mid : mid + 64] = bytes(range(64))
    dst.write_bytes(bytes(data))
    return dst
