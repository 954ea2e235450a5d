"""``read_scan``: pick the reader from the file's content, never its name."""

from __future__ import annotations

from ballistics_core.errors import ScanFormatError
from ballistics_core.io.image_read import is_image, read_image_source
from ballistics_core.io.source import ScanSource, open_source
from ballistics_core.io.x3p_read import read_x3p_source
from ballistics_core.scan import Scan

# Formats people submit by mistake, named so the message says what was found.
_KNOWN_OTHER = (
    (b"\xff\xd8\xff", "a JPEG image (lossy; submit PNG or TIFF)"),
    (b"\x1f\x8b", "a gzip file"),
    (b"%PDF", "a PDF document"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"BM", "a BMP image"),
    (b"GIF8", "a GIF image"),
    (b"<?xml", "an XML document (an X3P is a ZIP archive containing main.xml)"),
)


def read_scan(source: ScanSource, *, name: str | None = None) -> Scan:
    """Read an X3P surface or a PNG/TIFF image, chosen by the file's magic bytes.

    Parameters
    ----------
    source : path or bytes
    name : str, optional
        Name recorded as ``meta["source"]`` (defaults to the file name).

    Raises
    ------
    ScanFormatError
        Unrecognised content, or any error of :func:`read_x3p` / :func:`read_image`.
    ScanContentError
        The file holds no usable measurement.
    """
    src = open_source(source, name=name)
    head = src.head
    if head.startswith(b"PK"):
        return read_x3p_source(src)
    if is_image(head):
        return read_image_source(src)
    for magic, what in _KNOWN_OTHER:
        if head.startswith(magic):
            raise ScanFormatError(f"unsupported file: this is {what}, not an X3P or PNG/TIFF scan")
    raise ScanFormatError(
        f"unrecognised file content (first bytes {head[:8].hex(' ')}): expected an X3P (ZIP) or a PNG/TIFF image"
    )
