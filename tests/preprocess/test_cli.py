"""``ballistics preprocess`` end to end on a synthetic raw scan and on bad input."""

from __future__ import annotations

import numpy as np
from typer.testing import CliRunner

from ballistics_core.cli.app import app
from ballistics_core.io import read_scan, write_x3p
from ballistics_core.scan import Scan
from tests.preprocess.test_regions import synthetic_primer


def test_cli_preprocess_writes_x3p_and_reports(tmp_path):
    src = tmp_path / "raw.x3p"
    write_x3p(Scan(heights=synthetic_primer(), spacing_um=6.25), src)
    dest = tmp_path / "out.x3p"
    res = CliRunner().invoke(app, ["preprocess", str(src), str(dest), "--target-spacing-um", "12.5"])
    assert res.exit_code == 0, res.output
    assert "state: raw" in res.output and "primer: centre" in res.output and "firing pin: centre" in res.output
    out = read_scan(dest)
    assert out.spacing_um == 12.5 and out.mask is not None
    assert 0.2 < np.isfinite(out.heights).mean() < 0.9


def test_cli_preprocess_bad_input_exits_2(tmp_path):
    bad = tmp_path / "bad.x3p"
    bad.write_bytes(b"not a zip")
    res = CliRunner().invoke(app, ["preprocess", str(bad), str(tmp_path / "o.x3p")])
    assert res.exit_code == 2
    assert res.output.strip().startswith("error:") and len(res.output.strip().splitlines()) == 1
    src = tmp_path / "nan.x3p"
    write_x3p(Scan(heights=np.full((40, 40), np.nan), spacing_um=6.25), src)
    res = CliRunner().invoke(app, ["preprocess", str(src), str(tmp_path / "o.x3p")])
    assert res.exit_code == 2 and "error:" in res.output
