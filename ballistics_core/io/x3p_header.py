"""Parse and validate an X3P ``main.xml`` (ISO 5436-2) without trusting it.

The XML is parsed with defusedxml with DTDs, entities and external references
forbidden, so entity-expansion ("billion laughs") and external-entity attacks
are refused rather than expanded.  Every number that later sizes an allocation
is validated here, before any point data is touched.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

import defusedxml
import defusedxml.ElementTree as SafeET

from ballistics_core.errors import ScanFormatError
from ballistics_core.io.limits import MAX_DATA_BYTES, MAX_POINTS, MAX_SIDE

#: CZ DataType -> little-endian numpy dtype (ISO 5436-2: I int16, L int32, F float32, D float64).
DATA_TYPES = {"I": "<i2", "L": "<i4", "F": "<f4", "D": "<f8"}

DEFAULT_DATA_LINK = "bindata/data.bin"

_HEX_COLOUR = re.compile(r"^#?([0-9a-fA-F]{6})([0-9a-fA-F]{2})?$")


@dataclass(frozen=True)
class X3PHeader:
    """The parts of ``main.xml`` the reader needs, validated."""

    revision: str
    feature_type: str
    size_x: int
    size_y: int
    increment_x: float
    increment_y: float
    data_type: str
    z_increment: float
    z_offset: float
    data_link: str
    md5_point_data: str | None
    mask_background: str | None
    manufacturer: str
    model: str
    version: str
    date: str
    creator: str
    comment: str

    @property
    def n_points(self) -> int:
        return self.size_x * self.size_y

    @property
    def itemsize(self) -> int:
        return int(DATA_TYPES[self.data_type][-1])

    @property
    def data_bytes(self) -> int:
        return self.n_points * self.itemsize


def parse_main_xml(xml_bytes: bytes) -> X3PHeader:
    """Parse ``main.xml`` and check every size, increment and type it declares.

    Raises
    ------
    ScanFormatError
        For malformed or hostile XML, missing elements, and sizes, increments
        or data types that are invalid, unsupported or beyond the limits.
    """
    root = _parse(xml_bytes)
    if _local(root.tag) != "ISO5436_2":
        raise ScanFormatError(f"main.xml is not an ISO 5436-2 (X3P) document: root element is <{_local(root.tag)}>")
    for el in root.iter():
        if isinstance(el.tag, str):
            el.tag = _local(el.tag)

    feature = _text(root, "Record1/FeatureType", required=True)
    if feature != "SUR":
        raise ScanFormatError(f"unsupported X3P feature type {feature!r}: only areal surfaces (SUR) are supported")
    for axis in ("CX", "CY"):
        axis_type = _text(root, f"Record1/Axes/{axis}/AxisType", default="I")
        if axis_type != "I":
            raise ScanFormatError(f"unsupported X3P axis {axis} of type {axis_type!r}: only incremental (I) lateral axes are supported")
    data_type = _text(root, "Record1/Axes/CZ/DataType", required=True)
    if data_type not in DATA_TYPES:
        raise ScanFormatError(f"unsupported X3P CZ DataType {data_type!r}: expected one of D, F, L, I")

    size_x = _int(root, "Record3/MatrixDimension/SizeX")
    size_y = _int(root, "Record3/MatrixDimension/SizeY")
    size_z = _int(root, "Record3/MatrixDimension/SizeZ")
    if size_z != 1:
        raise ScanFormatError(f"unsupported X3P SizeZ={size_z}: only single-layer surfaces (SizeZ=1) are supported")
    if size_x > MAX_SIDE or size_y > MAX_SIDE:
        raise ScanFormatError(
            f"declared grid {size_y} x {size_x} points exceeds the limit of {MAX_SIDE} points per side"
        )
    header_points = size_x * size_y
    if header_points > MAX_POINTS:
        raise ScanFormatError(f"declared grid of {header_points} points exceeds the limit of {MAX_POINTS}")
    itemsize = int(DATA_TYPES[data_type][-1])
    if header_points * itemsize > MAX_DATA_BYTES:
        raise ScanFormatError(
            f"declared point data of {header_points * itemsize} bytes exceeds the limit of {MAX_DATA_BYTES}"
        )

    increment_x = _float(root, "Record1/Axes/CX/Increment")
    increment_y = _float(root, "Record1/Axes/CY/Increment")
    for axis, inc in (("CX", increment_x), ("CY", increment_y)):
        if not (math.isfinite(inc) and inc > 0):
            raise ScanFormatError(f"{axis} increment must be positive, got {inc!r}")
    z_increment = _float(root, "Record1/Axes/CZ/Increment", default=1.0)
    z_offset = _float(root, "Record1/Axes/CZ/Offset", default=0.0)
    if data_type in ("I", "L") and not (math.isfinite(z_increment) and z_increment > 0):
        raise ScanFormatError(f"CZ increment must be positive for integer data, got {z_increment!r}")
    if not math.isfinite(z_offset):
        raise ScanFormatError(f"CZ offset must be finite, got {z_offset!r}")

    if root.find("Record3/DataLink/PointDataLink") is None and root.find("Record3/DataList") is not None:
        raise ScanFormatError("unsupported X3P: point data stored inline as XML (DataList); only binary data.bin is supported")
    data_link = _text(root, "Record3/DataLink/PointDataLink", default=DEFAULT_DATA_LINK)
    if root.find("Record3/DataLink/ValidPointsLink") is not None:
        raise ScanFormatError("unsupported X3P: a ValidPointsLink (validity bitmap) is present; integer data with a validity bitmap is not supported")
    md5 = _text(root, "Record3/DataLink/MD5ChecksumPointData", default="") or None
    if md5 is not None and not re.fullmatch(r"[0-9a-fA-F]{32}", md5):
        raise ScanFormatError(f"MD5ChecksumPointData is not a 32-digit hex MD5: {md5[:40]!r}")

    background = _text(root, "Record3/Mask/Background", default="") or None
    if background is not None:
        parse_hex_colour(background)

    revision = _text(root, "Record1/Revision", default="")
    return X3PHeader(
        revision=revision,
        feature_type=feature,
        size_x=size_x,
        size_y=size_y,
        increment_x=increment_x,
        increment_y=increment_y,
        data_type=data_type,
        z_increment=z_increment,
        z_offset=z_offset,
        data_link=data_link,
        md5_point_data=md5.lower() if md5 else None,
        mask_background=background,
        manufacturer=_text(root, "Record2/Instrument/Manufacturer", default=""),
        model=_text(root, "Record2/Instrument/Model", default=""),
        version=_text(root, "Record2/Instrument/Version", default=""),
        date=_text(root, "Record2/Date", default=""),
        creator=_text(root, "Record2/Creator", default=""),
        comment=_text(root, "Record2/Comment", default=""),
    )


def parse_hex_colour(text: str) -> tuple[int, int, int]:
    """``"#cd7f32"`` -> ``(205, 127, 50)``; an alpha suffix is accepted and ignored."""
    match = _HEX_COLOUR.match(text.strip())
    if not match:
        raise ScanFormatError(f"mask background colour {text[:40]!r} is not a #rrggbb colour")
    value = match.group(1)
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def _parse(xml_bytes: bytes) -> ET.Element:
    try:
        return SafeET.fromstring(xml_bytes, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except defusedxml.DTDForbidden:
        raise ScanFormatError(
            "main.xml refused: it contains a DOCTYPE declaration (DTDs and entity definitions are not "
            "allowed in X3P; they enable entity-expansion attacks)"
        ) from None
    except defusedxml.EntitiesForbidden:
        raise ScanFormatError("main.xml refused: it declares XML entities (possible entity-expansion attack)") from None
    except defusedxml.ExternalReferenceForbidden:
        raise ScanFormatError("main.xml refused: it references external XML resources") from None
    except (ET.ParseError, UnicodeDecodeError, ValueError) as exc:
        raise ScanFormatError(f"main.xml is not well-formed XML: {_one_line(exc)}") from None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else str(tag)


def _text(root: ET.Element, path: str, *, required: bool = False, default: str = "") -> str:
    el = root.find(path)
    if el is None or el.text is None or not el.text.strip():
        if required:
            raise ScanFormatError(f"main.xml lacks {path.split('/')[-1]} ({path})")
        return default
    return el.text.strip()


def _int(root: ET.Element, path: str) -> int:
    text = _text(root, path, required=True)
    name = path.split("/")[-1]
    try:
        value = int(text)
    except ValueError:
        raise ScanFormatError(f"{name} must be a positive integer, got {text[:40]!r}") from None
    if value <= 0:
        raise ScanFormatError(f"{name} must be a positive integer, got {value}")
    return value


def _float(root: ET.Element, path: str, *, default: float | None = None) -> float:
    text = _text(root, path, required=default is None)
    if not text:
        return float(default)  # type: ignore[arg-type]
    try:
        return float(text)
    except ValueError:
        raise ScanFormatError(f"{path.split('/')[-2]} {path.split('/')[-1]} must be a number, got {text[:40]!r}") from None


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())
