"""Commands: ``preprocess`` (raw scan in, breech-face X3P out)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Optional

import typer

from ballistics_core.cli.common import fail, guarded


def register(app: typer.Typer) -> None:
    app.command("preprocess")(preprocess)


@guarded
def preprocess(
    source: Path = typer.Argument(..., metavar="IN", help="Raw or processed scan (X3P)."),
    dest: Path = typer.Argument(..., metavar="OUT.x3p", help="Where to write the preprocessed breech face."),
    target_spacing_um: Optional[float] = typer.Option(
        None, "--target-spacing-um", help="Output spacing in µm (default 6.25)."),
    ignore_mask: bool = typer.Option(
        False, "--ignore-mask", help="Ignore a mask stored in IN and detect the breech face automatically."),
) -> None:
    """Find the breech face, level, remove outliers, band-pass, resample and crop; print what was detected."""
    from ballistics_core.io import read_scan, write_x3p
    from ballistics_core.preprocess import PreprocessParams, preprocess_scan

    if target_spacing_um is not None and not (0 < target_spacing_um < 1000):
        fail(f"--target-spacing-um must be between 0 and 1000, got {target_spacing_um:g}")
    if dest.suffix.lower() != ".x3p":
        fail(f"OUT must end in .x3p, got {dest.name}")
    scan = read_scan(source)
    if scan.kind != "topography":
        fail("2-D intensity images cannot be written as X3P (it holds heights); preprocess them through the API")
    if ignore_mask:
        scan = scan.replace(mask=None)
    params = PreprocessParams()
    if target_spacing_um is not None:
        params = dataclasses.replace(params, target_spacing_um=float(target_spacing_um))
    out = preprocess_scan(scan, params=params)
    write_x3p(out, dest)
    m = out.meta
    typer.echo(f"input: {source.name}  grid {scan.shape[1]}x{scan.shape[0]}  spacing {scan.spacing_um:g} um")
    typer.echo(f"state: {m['preprocess_state']}")
    if m.get("primer_radius_um") is not None:
        cy, cx = m["primer_center_yx_um"]
        typer.echo(f"primer: centre (x={cx:.1f}, y={cy:.1f}) um  radius {m['primer_radius_um']:.1f} um")
    if m.get("firing_pin_radius_um") is not None:
        cy, cx = m["firing_pin_center_yx_um"]
        typer.echo(f"firing pin: centre (x={cx:.1f}, y={cy:.1f}) um  radius {m['firing_pin_radius_um']:.1f} um")
    elif m["preprocess_state"] == "raw":
        typer.echo("firing pin: not found")
    typer.echo(f"stages: {', '.join(m['preprocess_stages'])}")
    typer.echo(f"output: {dest}  grid {out.shape[1]}x{out.shape[0]}  spacing {out.spacing_um:g} um  "
               f"valid {1 - out.nan_fraction:.1%}  params {m['preprocess_digest']}")
    typer.echo("(centres in µm from output pixel (0, 0), x = column, y = row)")
