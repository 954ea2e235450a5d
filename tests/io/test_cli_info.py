"""``ballistics info``: human and JSON output, several files, failures reported but not fatal."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from ballistics_core.cli.app import app


def test_info_text_and_json(sample_data: Path) -> None:
    files = sorted(sample_data.glob("*.x3p"))
    assert len(files) == 7
    result = CliRunner().invoke(app, ["info", *map(str, files)])
    assert result.exit_code == 0, result.output
    assert result.stdout.count("grid          ") == 7
    assert "6.25 µm" in result.stdout and "NanoFocus usurf" in result.stdout
    result = CliRunner().invoke(app, ["info", "--json", str(files[0])])
    assert result.exit_code == 0
    (record,) = json.loads(result.stdout)
    assert record["grid"] == [545, 545] and record["spacing_um"] == 6.25
    assert record["unit_xy_detected"] == "m" and record["md5_status"] == "ok"
    assert abs(record["nan_fraction"] - 0.722) < 0.001 and record["mask"] is False
    assert len(record["sha256"]) == 64


def test_info_processes_every_file_and_exits_2_on_any_failure(sample_data: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.x3p"
    bad.write_bytes(b"PK\x03\x04 truncated")
    good = sample_data / "Fadul 1-2.x3p"
    missing = tmp_path / "missing.x3p"
    proc = subprocess.run(
        [sys.executable, "-m", "ballistics_core.cli.app", "info", "--json", str(bad), str(good), str(missing)],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 2
    errors = proc.stderr.strip().splitlines()
    assert errors == [
        f"error: {bad}: corrupt or truncated ZIP archive: File is not a zip file",
        f"error: {missing}: file not found",
    ]
    (record,) = json.loads(proc.stdout)
    assert record["file"] == str(good) and record["grid"] == [546, 546]


def test_info_on_every_reference_file(shared_data: Path) -> None:
    files = sorted(shared_data.glob("*/*.x3p")) + sorted(shared_data.glob("*/*.png"))
    assert len(files) == 64
    result = CliRunner().invoke(app, ["info", "--json", *map(str, files)])
    assert result.exit_code == 0, result.stderr
    records = json.loads(result.stdout)
    assert [r["file"] for r in records] == list(map(str, files))
    assert {r["unit_xy_detected"] for r in records} == {"m", "um"}
