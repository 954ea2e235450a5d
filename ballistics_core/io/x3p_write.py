"""Write a :class:`~ballistics_core.scan.Scan` as an ISO 5436-2 X3P file.

Heights and increments are written in metres as the standard says, as float64
so that reading the file back returns the float32 micrometre heights exactly.
A mask is written as a FiX3P ``bindata/mask.png``: region of interest white,
background the FiX3P default ``#cd7f32``, declared in ``Record3/Mask``.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import io
import os
import uuid
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np
from PIL import Image

from ballistics_core.scan import Scan

_BACKGROUND_HEX = "#cd7f32"
_BACKGROUND = (0xCD, 0x7F, 0x32)
_ROI = (0xFF, 0xFF, 0xFF)


def write_x3p(scan: Scan, path: str | os.PathLike) -> Path:
    """Write ``scan`` to ``path`` (replaced atomically) and return the path.

    Parameters
    ----------
    scan : Scan
        A topography scan (heights in µm).  Intensity scans are refused
        because X3P holds heights.
    path : path-like
        Destination ``.x3p`` file.
    """
    if scan.kind != "topography":
        raise ValueError(f"only topography scans can be written as X3P, got kind={scan.kind!r}")
    path = Path(path)
    ny, nx = scan.shape
    data = np.ascontiguousarray(scan.heights.astype("<f8") * 1e-6).tobytes()
    data_md5 = hashlib.md5(data).hexdigest()
    xml = _main_xml(scan, nx, ny, data_md5).encode("utf-8")

    # Not mkstemp: its 0600 mode would survive the rename; "xb" honours the umask.
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        with open(tmp, "xb") as fh, zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("main.xml", xml)
            zf.writestr("bindata/data.bin", data)
            if scan.mask is not None:
                zf.writestr("bindata/mask.png", _mask_png(scan.mask))
            zf.writestr("md5checksum.hex", hashlib.md5(xml).hexdigest() + "\n")
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def _mask_png(mask: np.ndarray) -> bytes:
    rgb = np.empty(mask.shape + (3,), dtype=np.uint8)
    rgb[...] = _BACKGROUND
    rgb[mask] = _ROI
    out = io.BytesIO()
    Image.fromarray(rgb, mode="RGB").save(out, format="PNG")
    return out.getvalue()


def _main_xml(scan: Scan, nx: int, ny: int, data_md5: str) -> str:
    from ballistics_core import __version__

    meta = scan.meta
    increment = repr(scan.spacing_um * 1e-6)
    instrument = str(meta.get("instrument") or "unknown")
    manufacturer, _, model = instrument.partition(" ")
    date = str(meta.get("date") or _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat())
    creator = str(meta.get("creator") or "ballistics-engine")
    comment = f"written by ballistics-engine {__version__}"
    if meta.get("source"):
        comment += f" from {meta['source']}"
    if meta.get("sha256"):
        comment += f" (sha256 {meta['sha256']})"
    mask_xml = ""
    if scan.mask is not None:
        mask_xml = (
            f"\n    <Mask>\n      <Background>{_BACKGROUND_HEX}</Background>\n"
            '      <Annotations>\n        <Annotation color="#ffffff">region of interest</Annotation>\n'
            "      </Annotations>\n      <Version>2</Version>\n    </Mask>"
        )
    e = escape
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<p:ISO5436_2 xmlns:p="http://www.opengps.eu/2008/ISO5436_2" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://www.opengps.eu/2008/ISO5436_2 http://www.opengps.eu/2008/ISO5436_2/ISO5436_2.xsd">
  <Record1>
    <Revision>ISO5436 - 2000</Revision>
    <FeatureType>SUR</FeatureType>
    <Axes>
      <CX><AxisType>I</AxisType><DataType>D</DataType><Increment>{increment}</Increment><Offset>0</Offset></CX>
      <CY><AxisType>I</AxisType><DataType>D</DataType><Increment>{increment}</Increment><Offset>0</Offset></CY>
      <CZ><AxisType>A</AxisType><DataType>D</DataType><Increment>1</Increment><Offset>0</Offset></CZ>
    </Axes>
  </Record1>
  <Record2>
    <Date>{e(date)}</Date>
    <Creator>{e(creator)}</Creator>
    <Instrument><Manufacturer>{e(manufacturer)}</Manufacturer><Model>{e(model or 'unknown')}</Model><Serial>not available</Serial><Version>{e(str(meta.get('instrument_version') or 'unknown'))}</Version></Instrument>
    <CalibrationDate>{e(date)}</CalibrationDate>
    <ProbingSystem><Type>NonContacting</Type><Identification>unknown</Identification></ProbingSystem>
    <Comment>{e(comment)}</Comment>
  </Record2>
  <Record3>
    <MatrixDimension><SizeX>{nx}</SizeX><SizeY>{ny}</SizeY><SizeZ>1</SizeZ></MatrixDimension>
    <DataLink><PointDataLink>bindata/data.bin</PointDataLink><MD5ChecksumPointData>{data_md5}</MD5ChecksumPointData></DataLink>{mask_xml}
  </Record3>
  <Record4><ChecksumFile>md5checksum.hex</ChecksumFile></Record4>
</p:ISO5436_2>
"""
