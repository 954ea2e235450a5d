"""Which files in a folder are scans."""

from __future__ import annotations

from pathlib import Path

from ballistics_core.errors import BallisticsError

SCAN_SUFFIXES = (".x3p", ".png", ".tif", ".tiff")


def scan_files(folder: str | Path) -> list[Path]:
    """Scan files in ``folder`` and its subfolders, sorted by path.

    Datasets come flat or one folder per firearm; both are read. Files under a
    ``bindata`` folder are members of an unpacked X3P (its ``mask.png``), not
    scans. Reports name scans by file stem, so two scans with one stem are an
    error rather than one silently replacing the other.
    """
    root = Path(folder)
    if not root.is_dir():
        raise BallisticsError(f"{root} is not a folder")
    files = sorted(
        p for p in root.rglob("*")
        if p.is_file() and p.suffix.lower() in SCAN_SUFFIXES
        and "bindata" not in p.relative_to(root).parts[:-1]
    )
    seen: dict[str, Path] = {}
    for p in files:
        if p.stem in seen:
            raise BallisticsError(f"two scans share the name {p.stem!r}: {seen[p.stem]} and {p}; rename one")
        seen[p.stem] = p
    return files
