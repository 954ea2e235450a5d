"""Scan input/output: X3P surfaces and PNG/TIFF images, read defensively.

Public API
----------
read_scan(source, *, name=None) -> Scan
    Dispatch on content (ZIP -> X3P, PNG/TIFF -> image).
read_x3p(source, *, name=None) -> Scan
write_x3p(scan, path) -> Path
read_image(source, *, name=None, spacing_um=None) -> Scan
scan_files(folder) -> list[Path]
    The scan files in a folder and its subfolders.
"""

from ballistics_core.io.dispatch import read_scan
from ballistics_core.io.folders import SCAN_SUFFIXES, scan_files
from ballistics_core.io.image_read import DEFAULT_IMAGE_SPACING_UM, read_image
from ballistics_core.io.x3p_read import read_x3p
from ballistics_core.io.x3p_write import write_x3p

__all__ = ["read_scan", "scan_files", "SCAN_SUFFIXES", "read_x3p", "write_x3p", "read_image", "DEFAULT_IMAGE_SPACING_UM"]
