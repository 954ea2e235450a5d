"""Bad uploads get a 4xx with the reason, and leave nothing behind."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from sqlalchemy import func, select

from service import audit
from service.models import CorrelationRun, ScanRecord
from tests.service.conftest import SAMPLE, start_service


def _state(svc):
    with svc.app.state.session_factory() as s:
        scans = s.scalar(select(func.count()).select_from(ScanRecord))
        runs = s.scalar(select(func.count()).select_from(CorrelationRun))
        chain = audit.verify(s)
    files = sorted(p.name for p in Path(svc.settings.upload_dir).rglob("*") if p.is_file())
    store = svc.app.state.engine.count() if (Path(svc.settings.store_dir) / "manifest.json").exists() else 0
    assert chain.ok
    return scans, runs, files, store


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


def _bad_files() -> dict[str, tuple[str, bytes, int]]:
    real = next(SAMPLE.glob("*.x3p")).read_bytes()
    return {
        "garbage": ("junk.x3p", b"this is not a scan at all", 422),
        "empty": ("empty.x3p", b"", 422),
        "truncated x3p": ("cut.x3p", real[: len(real) // 2], 422),
        "zip without main.xml": ("other.x3p", _zip({"readme.txt": b"hello"}), 422),
        "x3p with broken xml": ("broken.x3p", _zip({"main.xml": b"<ISO5436_2><Record1>", "bindata/data.bin": b"\0" * 64}), 422),
        "png of nothing": ("blank.png", bytes.fromhex("89504e470d0a1a0a") + b"\0" * 32, 422),
    }


def test_bad_uploads_are_refused_with_a_reason_and_nothing_is_stored(service):
    service.world()
    _, exhibit = service.case_with_exhibit("lab_submitter.north", "N-BAD")
    before = _state(service)
    reasons = {}
    for case, (name, data, code) in _bad_files().items():
        r = service.post(f"/api/exhibits/{exhibit}/scans", "lab_submitter.north", files={"file": (name, data)})
        assert r.status_code == code, (case, r.text)
        reason = r.json()["detail"]
        assert isinstance(reason, str) and reason and "\n" not in reason and "Traceback" not in reason
        reasons[case] = reason
        assert _state(service) == before, case
    assert len(set(reasons.values())) >= 4, reasons  # each says what is wrong with that file


def test_oversized_upload_is_413_and_nothing_is_stored(tmp_path):
    svc = start_service(f"sqlite:///{tmp_path / 'db.sqlite'}", tmp_path, max_upload_bytes=1000)
    with svc.client:
        svc.world()
        _, exhibit = svc.case_with_exhibit("lab_submitter.north", "N-BIG")
        before = _state(svc)
        r = svc.post(f"/api/exhibits/{exhibit}/scans", "lab_submitter.north", files={"file": ("big.x3p", b"x" * 5000)})
        assert r.status_code == 413 and "exceeds" in r.json()["detail"]
        assert _state(svc) == before


def test_upload_to_an_exhibit_of_another_jurisdiction_is_404(service, sample_scans):
    service.world()
    _, exhibit = service.case_with_exhibit("lab_submitter.north", "N-1")
    before = _state(service)
    r = service.upload("lab_submitter.south", exhibit, sample_scans[0])
    assert r.status_code == 404
    assert _state(service) == before


def test_the_same_file_twice_is_a_409_naming_the_first_scan(service, sample_scans):
    service.world()
    _, ex1 = service.case_with_exhibit("lab_submitter.north", "N-1")
    _, ex2 = service.case_with_exhibit("lab_submitter.south", "S-1")
    first = service.ok(service.upload("lab_submitter.north", ex1, sample_scans[0]), 201)
    # The first upload's run works (and logs) in the background; the refusal must not add to it.
    service.wait_run(first["run"]["id"], "lab_submitter.north")
    before = _state(service)
    r = service.upload("lab_submitter.south", ex2, sample_scans[0])
    assert r.status_code == 409
    assert r.json()["detail"] == f"this file was already uploaded as scan {first['scan']['id']}"
    assert _state(service) == before


def test_a_file_already_in_the_store_is_refused_and_rolled_back(sqlite_service, sample_scans):
    """The store recognises the file (ingested outside the service): the scan row and file are undone."""
    svc = sqlite_service
    svc.world()
    _, exhibit = svc.case_with_exhibit("lab_submitter.north", "N-1")
    engine = svc.app.state.engine
    data = sample_scans[1].read_bytes()
    engine.add(engine.make_signature(engine.read_scan(data, name=sample_scans[1].name)), {"source": "bulk import"})
    before = _state(svc)
    r = svc.upload("lab_submitter.north", exhibit, sample_scans[1])
    assert r.status_code == 409 and "already" in r.json()["detail"]
    assert _state(svc) == before
