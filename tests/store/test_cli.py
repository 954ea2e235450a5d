"""The ingest, search, store and bench commands as a user runs them."""

from __future__ import annotations

import csv
import json
import shutil

import pytest
from typer.testing import CliRunner

from ballistics_core.cli.app import app


def _have(module: str, name: str) -> bool:
    try:
        return hasattr(__import__(module, fromlist=[name]), name)
    except ImportError:
        return False


needs_pipeline = pytest.mark.skipif(not _have("ballistics_core.signature", "make_signature"),
                                    reason="ballistics_core.signature.make_signature not in the tree yet")
needs_compare = pytest.mark.skipif(not _have("ballistics_core.compare", "compare_signatures"),
                                   reason="ballistics_core.compare.compare_signatures not in the tree yet")
runner = CliRunner()


def test_missing_store_is_a_one_line_error(tmp_path):
    r = runner.invoke(app, ["store", "check", "--store", str(tmp_path / "none")])
    assert r.exit_code == 2
    assert r.output.strip().count("\n") == 0 and r.output.startswith("error: no signature store")


@needs_pipeline
def test_ingest_duplicates_check_and_tombstone(tmp_path, shared_data):
    fadul = shared_data / "fadul"
    files = [str(fadul / f"Fadul {n}.x3p") for n in ("1-1", "1-2", "2-1")]
    s = str(tmp_path / "s")
    r = runner.invoke(app, ["ingest", *files, "--store", s, "--calibre", "9mm"])
    assert r.exit_code == 0, r.output
    assert "ingested 3, duplicates 0, failed 0" in r.output
    r = runner.invoke(app, ["ingest", files[0], str(tmp_path / "missing.x3p"), "--store", s])
    assert r.exit_code == 2
    assert "duplicate: Fadul 1-1.x3p" in r.output and "error:" in r.output
    r = runner.invoke(app, ["store", "check", "--store", s])
    assert r.exit_code == 0 and r.output.startswith("ok: 3 live")
    r = runner.invoke(app, ["store", "tombstone", "Fadul 2-1.x3p", "--store", s, "--reason", "order 7"])
    assert r.exit_code == 0 and "tombstoned Fadul 2-1.x3p" in r.output
    info = json.loads(runner.invoke(app, ["store", "info", "--store", s]).output)
    assert info["live"] == 2 and info["tombstoned"] == 1


@needs_pipeline
@needs_compare
@pytest.mark.slow
def test_search_table_and_json(tmp_path, shared_data):
    fadul = shared_data / "fadul"
    s = str(tmp_path / "s")
    files = [str(fadul / f"Fadul {n}.x3p") for n in ("1-2", "2-1", "3-1", "4-1")]
    assert runner.invoke(app, ["ingest", *files, "--store", s]).exit_code == 0
    q = str(fadul / "Fadul 1-1.x3p")
    r = runner.invoke(app, ["search", q, "--store", s, "--top", "3"])
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    assert lines[0].split() == ["rank", "candidate", "breech_face", "firing_pin", "fused", "log10_lr", "decision"]
    assert lines[1].split()[1:3] == ["Fadul", "1-2.x3p"]
    r = runner.invoke(app, ["search", q, "--store", s, "--top", "2", "--json"])
    out = json.loads(r.output)
    hits = out["hits"]
    assert [h["rank"] for h in hits] == [1, 2] and hits[0]["candidate"] == "Fadul 1-2.x3p"
    # how deep the full comparison went: every other stored scan, since the store is that small
    assert out["depth"]["compared"] == out["rescored"] and out["depth"]["bound"] == 20
    assert out["depth"]["bound_reached"] is False


@needs_pipeline
@needs_compare
@pytest.mark.slow
def test_bench_retrieval_writes_ranks(tmp_path, shared_data):
    # one folder per firearm, as many datasets come; a damaged scan and an unpacked
    # X3P's mask among them
    folder = tmp_path / "scans"
    for n in ("1-1", "1-2", "2-1", "2-2", "3-1"):
        (folder / f"slide {n[0]}").mkdir(parents=True, exist_ok=True)
        shutil.copy(shared_data / "fadul" / f"Fadul {n}.x3p", folder / f"slide {n[0]}")
    (folder / "slide 2" / "damaged.x3p").write_bytes(b"PK\x03\x04 not a whole zip")
    (folder / "unpacked" / "bindata").mkdir(parents=True)
    (folder / "unpacked" / "bindata" / "mask.png").write_bytes(b"\x89PNG")
    out = tmp_path / "ranks.csv"
    r = runner.invoke(app, ["bench", "retrieval", str(folder), "--out", str(out), "--rescore", "4"])
    assert r.exit_code == 0, r.output
    assert "skipped" in r.output and "damaged.x3p" in r.output and "mask.png" not in r.output
    rows = list(csv.DictReader(open(out)))
    assert set(rows[0]) == {"query", "rank", "candidate", "score"}
    first = {r["query"]: r["candidate"] for r in rows if r["rank"] == "1"}
    assert first["Fadul 1-1"] == "Fadul 1-2" and first["Fadul 2-2"] == "Fadul 2-1"
    assert all(r["query"] != r["candidate"] for r in rows)
    assert {r["query"] for r in rows} == {f"Fadul {n}" for n in ("1-1", "1-2", "2-1", "2-2", "3-1")}
