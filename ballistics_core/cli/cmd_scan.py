"""Commands: ``info`` (what a scan file holds, read with the defensive readers)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import List

import typer

from ballistics_core.errors import BallisticsError

INFO_FIELDS = (
    "file", "format", "kind", "grid", "spacing_um", "unit_xy_detected", "unit_z_detected",
    "unit_note", "nan_fraction", "md5_status", "instrument", "date", "mask", "sha256",
)


def register(app: typer.Typer) -> None:
    app.command("info")(info)


def info(
    files: List[Path] = typer.Argument(..., metavar="FILE", help="X3P, PNG or TIFF scan files."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON list (one object per readable file)."),
) -> None:
    """Describe scan files: grid, spacing, detected units, NaN fraction, checksum, instrument, mask, SHA-256.

    Unreadable files are reported as ``error: FILE: REASON`` on stderr; the
    others are still processed, and the exit code is 2 if any file failed.
    """
    from ballistics_core.io import read_scan

    records = []
    failed = 0
    for path in files:
        try:
            scan = read_scan(path)
        except BallisticsError as exc:
            failed += _report(path, str(exc))
            continue
        except FileNotFoundError:
            failed += _report(path, "file not found")
            continue
        except IsADirectoryError:
            failed += _report(path, "is a directory")
            continue
        except PermissionError:
            failed += _report(path, "permission denied")
            continue
        except MemoryError:
            failed += _report(path, "out of memory while reading")
            continue
        except Exception as exc:  # a reader bug must still not print a traceback at a user
            failed += _report(path, f"unexpected {type(exc).__name__} while reading: {exc}")
            continue
        record = describe(scan, str(path))
        records.append(record)
        if not as_json:
            typer.echo(_format_text(record))
    if as_json:
        typer.echo(json.dumps(records, indent=2, ensure_ascii=False))
    if failed:
        raise typer.Exit(2)


def describe(scan, file: str) -> dict:
    """The ``info`` record of one scan (JSON-ready)."""
    meta = scan.meta
    ny, nx = scan.shape
    return {
        "file": file,
        "format": meta.get("format", ""),
        "kind": scan.kind,
        "grid": [ny, nx],
        "spacing_um": scan.spacing_um,
        "unit_xy_detected": meta.get("unit_xy_detected", ""),
        "unit_z_detected": meta.get("unit_z_detected", ""),
        "unit_note": meta.get("unit_note", ""),
        "nan_fraction": round(scan.nan_fraction, 6),
        "md5_status": meta.get("md5_status", ""),
        "instrument": meta.get("instrument", ""),
        "date": meta.get("date", ""),
        "mask": scan.mask is not None,
        "mask_fraction": round(float(scan.mask.mean()), 6) if scan.mask is not None else None,
        "sha256": meta.get("sha256", ""),
    }


def _format_text(r: dict) -> str:
    reported = "detected; reported in µm" if r["kind"] == "topography" else "pixel values are intensities"
    mask = f"yes ({r['mask_fraction']:.1%} of the grid)" if r["mask"] else "no"
    lines = [
        f"{r['file']}",
        f"  format        {r['format']} ({r['kind']})",
        f"  grid          {r['grid'][0]} x {r['grid'][1]} (ny x nx)",
        f"  spacing       {r['spacing_um']:.6g} µm",
        f"  file units    xy: {r['unit_xy_detected']}, z: {r['unit_z_detected']} ({reported})",
        f"  unit note     {r['unit_note']}",
        f"  NaN fraction  {r['nan_fraction']:.3f}",
        f"  checksum      {r['md5_status']}",
        f"  instrument    {r['instrument'] or '-'}",
        f"  date          {r['date'] or '-'}",
        f"  mask          {mask}",
        f"  sha256        {r['sha256']}",
    ]
    return "\n".join(lines)


def _report(path: Path, reason: str) -> int:
    reason = " ".join(reason.split())
    typer.echo(f"error: {path}: {reason}", err=True)
    return 1
