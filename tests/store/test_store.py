"""Signature store: round trip, duplicates, digests, crash safety, concurrent readers, tombstones, integrity."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from ballistics_core import ALGORITHM_VERSION
from ballistics_core.errors import ParamsMismatchError
from ballistics_core.signature.polar import PolarParams
from ballistics_core.signature.descriptor import descriptor_dimension
from ballistics_core.signature.synthetic import synthetic_spec
from ballistics_core.store import SignatureStore, StoredRecord, StoreError
from ballistics_core.store import segment as seg
from tests.store.sigs import DIGEST, real, synth

REPO = Path(__file__).resolve().parents[2]


def new_store(path: Path, n_shards: int = 1) -> SignatureStore:
    return SignatureStore.create(path, params_digest=DIGEST, algorithm_version=ALGORITHM_VERSION,
                                 descriptor_dim=descriptor_dimension(), ring_shape=PolarParams().shape, n_shards=n_shards)


def test_round_trip_and_duplicates(tmp_path, shared_data):
    store = new_store(tmp_path / "s")
    a = real(shared_data / "fadul" / "Fadul 1-1.x3p")
    b = synth(3, calibre="9mm")
    rep = store.add([a, b])
    assert rep.added == [a.source_sha256, b.source_sha256] and not rep.duplicates

    again = SignatureStore.open(tmp_path / "s")
    assert len(again) == 2
    got = again.load_signature(a.source_sha256)
    np.testing.assert_array_equal(got.surface, a.surface)  # NaN positions compare equal too
    np.testing.assert_array_equal(got.descriptor, a.descriptor)
    assert got.spacing_um == a.spacing_um and got.params_digest == DIGEST
    assert got.meta["source"] == "Fadul 1-1.x3p"
    assert again.load_signature(b.source_sha256).meta["calibre"] == "9mm"

    # the same source again, alone or in a batch with a new one, is a duplicate
    rep = again.add([real(shared_data / "fadul" / "Fadul 1-1.x3p"), synth(4)])
    assert [sha for _, sha in rep.duplicates] == [a.source_sha256]
    assert len(rep.added) == 1 and len(SignatureStore.open(tmp_path / "s")) == 3
    assert again.find("Fadul 1-1.x3p") == a.source_sha256
    assert again.check_integrity() == []


def test_refuses_other_parameter_digest(tmp_path):
    store = SignatureStore.create(tmp_path / "s", params_digest="0123456789abcdef",
                                  algorithm_version=ALGORITHM_VERSION, descriptor_dim=descriptor_dimension(), ring_shape=PolarParams().shape)
    with pytest.raises(ParamsMismatchError, match="parameter digest"):
        store.add([synth(1)])
    assert len(SignatureStore.open(tmp_path / "s")) == 0


def test_open_missing_store_is_one_line_error(tmp_path):
    with pytest.raises(StoreError, match="no signature store"):
        SignatureStore.open(tmp_path / "nothing")


def test_synthetic_rows_regenerate_their_surface(tmp_path):
    store = new_store(tmp_path / "s")
    sig = synth(11)
    store.add([StoredRecord(sig, synthetic=synthetic_spec(11))])
    got = SignatureStore.open(tmp_path / "s").load_signature(sig.source_sha256)
    np.testing.assert_array_equal(got.surface, sig.surface)
    assert store.check_integrity() == []


def _spawn_writer(path: Path, batch: int, start: int) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "tests.store.writer_proc", str(path), str(batch), str(start)],
                            cwd=REPO, stdout=subprocess.PIPE, text=True, bufsize=1)


@pytest.mark.slow
def test_writer_killed_mid_append_loses_nothing_committed(tmp_path):
    path = tmp_path / "s"
    new_store(path)
    committed: list[str] = []
    killed_mid_write = 0
    rng = np.random.default_rng(0)
    for attempt in range(6):
        proc = _spawn_writer(path, batch=24, start=attempt * 100_000)
        first = proc.stdout.readline()  # at least one batch committed in this life
        assert first.startswith("committed"), first
        committed += first.split()[1:]
        time.sleep(rng.uniform(0.05, 0.4))
        proc.send_signal(signal.SIGKILL)
        rest, _ = proc.communicate()
        committed += [sha for line in rest.splitlines() if line.startswith("committed") for sha in line.split()[1:]]
        killed_mid_write += any(p.name.endswith(".tmp") for p in path.iterdir())

        store = SignatureStore.open(path)
        cat = store.catalog()
        missing = [sha for sha in committed if sha not in cat]
        assert not missing, f"{len(missing)} committed signatures lost after kill {attempt}"
        # a kill between the manifest commit and the writer's acknowledgement leaves
        # one more batch than was reported, but never a torn one
        extra = [sha for sha in cat if sha not in set(committed)]
        assert len(extra) in (0, 24)
        committed += extra
        assert store.check_integrity() == []
        assert store.load_signature(committed[-1]).surface.shape[0] > 0
    # the kills did land inside a segment write (its temporary file was left behind)
    assert killed_mid_write >= 1
    # the next writer cleans up what killed ones left
    SignatureStore.open(path).add([synth(99)])
    assert not any(p.name.endswith(".tmp") for p in path.iterdir())


def test_readers_work_while_a_writer_appends(tmp_path):
    from ballistics_core.search import load_shard, screen

    path = tmp_path / "s"
    new_store(path)
    proc = _spawn_writer(path, batch=4, start=0)
    try:
        assert proc.stdout.readline().startswith("committed")
        seen = []
        deadline = time.time() + 2
        while time.time() < deadline:
            store = SignatureStore.open(path)
            n = len(store)
            seen.append(n)
            cat = store.catalog()
            sha = sorted(cat)[len(cat) // 2]
            assert store.load_signature(sha).descriptor.shape == (descriptor_dimension(),)
            index = load_shard(store, 0)
            assert index.matrix.shape[0] == n
            assert screen(index, index.matrix[0], 3)[0][1] in cat
        assert seen == sorted(seen) and seen[-1] > seen[0]
    finally:
        proc.kill()
        proc.wait()


def _lines(proc: subprocess.Popen, kind: str, out: str) -> list[str]:
    return [sha for line in out.splitlines() if line.startswith(kind) for sha in line.split()[1:]]


def test_two_writers_at_once_store_each_signature_once(tmp_path):
    """Three writer processes append at once: two of them the same signatures, one others.
    Nothing any of them committed is lost, nothing is stored twice, the store checks clean."""
    path = tmp_path / "s"
    new_store(path)
    procs = [_spawn_writer(path, batch=8, start=0), _spawn_writer(path, batch=8, start=0),
             _spawn_writer(path, batch=8, start=1_000_000)]
    outputs = []
    try:
        first = [p.stdout.readline() for p in procs]  # each has been through the lock at least once
        assert all(line.startswith(("committed", "duplicate")) for line in first), first
        time.sleep(0.5)
    finally:
        for p in procs:
            p.send_signal(signal.SIGKILL)
        for p, line in zip(procs, first):
            outputs.append(line + p.communicate()[0])
    committed = [_lines(p, "committed", out) for p, out in zip(procs, outputs)]
    duplicates = [sha for p, out in zip(procs, outputs) for sha in _lines(p, "duplicate", out)]
    store = SignatureStore.open(path)
    cat = store.catalog()
    reported = [sha for shas in committed for sha in shas]
    assert len(reported) == len(set(reported)), "two writers both reported adding the same signature"
    assert not [sha for sha in reported if sha not in cat], "a committed signature was lost"
    # The twin writers met: one found the other's batch already stored and added none of it.
    assert duplicates and set(duplicates) <= set(cat)
    # A kill between a commit and its report leaves at most one unreported batch per writer.
    assert len(set(cat) - set(reported)) <= 8 * len(procs)
    assert len(store) == len(cat) == sum(s["n"] for s in store.segments)
    assert store.check_integrity() == []  # includes "stored twice"
    # The next writer clears what the killed ones left half-written, and appends.
    assert store.add([synth(99)]).added
    assert not any(p.name.endswith(".tmp") for p in path.iterdir())
    assert SignatureStore.open(path).check_integrity() == []


@pytest.mark.parametrize("point", ["logged", "listed", "overwriting"])
def test_a_tombstone_killed_midway_leaves_the_exhibit_unsearchable_and_finishes(tmp_path, point):
    from ballistics_core.search import load_shard, screen

    path = tmp_path / "s"
    store = new_store(path)
    victim, *others = [synth(seed) for seed in (11, 12, 13)]
    store.add([victim, *others])
    loc = store.catalog()[victim.source_sha256]
    r = subprocess.run([sys.executable, "-m", "tests.store.tombstone_proc", str(path), victim.source_sha256, point],
                       cwd=REPO, capture_output=True, text=True, timeout=120)
    assert r.returncode == -signal.SIGKILL and "finished" not in r.stdout, (r.returncode, r.stderr[-500:])

    after = SignatureStore.open(path)
    # The log line is the point of no return: the exhibit is gone from every read path.
    assert victim.source_sha256 not in after and len(after) == 2
    assert after.tombstones()[victim.source_sha256]["reason"] == "court order (crash test)"
    with pytest.raises(StoreError):
        after.load_signature(victim.source_sha256)
    index = load_shard(after, 0)
    assert all(sha != victim.source_sha256 for _, sha in screen(index, victim.descriptor, 10))
    for sig in others:
        assert after.load_signature(sig.source_sha256).descriptor.shape == (descriptor_dimension(),)
    # What is left undone is named by the check, and nothing else is wrong.
    problems = after.check_integrity()
    assert len(problems) == 1 and "tombstoned but its data is not destroyed" in problems[0], problems
    assert loc.file in problems[0] and f"row {loc.row}" in problems[0]
    # Tombstoning again finishes the job (one log entry, not two) and the store checks clean.
    after.tombstone(victim.source_sha256, reason="court order (crash test)")
    assert (path / "tombstones.jsonl").read_text().count(victim.source_sha256) == 1
    done = SignatureStore.open(path)
    assert done.check_integrity() == []
    row = seg.read_row(path / loc.file, loc.row)
    assert not np.any(row["descriptor"]) and not np.any(row["surface"])
    assert done.add([victim]).tombstoned


def test_tombstone_destroys_and_logs(tmp_path, shared_data):
    from ballistics_core.search import load_shard, screen

    store = new_store(tmp_path / "s")
    a = real(shared_data / "fadul" / "Fadul 2-1.x3p")
    store.add([a, synth(1), synth(2)])
    loc = store.catalog()[a.source_sha256]

    entry = store.tombstone("Fadul 2-1.x3p", reason="court order 123", operator="tester")
    assert entry["reason"] == "court order 123"

    again = SignatureStore.open(tmp_path / "s")
    assert a.source_sha256 not in again and len(again) == 2
    assert again.tombstones()[a.source_sha256]["operator"] == "tester"
    with pytest.raises(StoreError):
        again.load_signature(a.source_sha256)
    index = load_shard(again, 0)
    assert not index.alive[list(index.sha256).index(a.source_sha256)]
    assert all(sha != a.source_sha256 for _, sha in screen(index, a.descriptor, 10))
    # the bytes on disk are gone, not just hidden
    row = seg.read_row(again.path / loc.file, loc.row)
    assert not np.any(row["surface"]) and not np.any(row["descriptor"])
    raw = (again.path / loc.file).read_bytes()
    assert np.asarray(a.surface[np.isfinite(a.surface)][:64], np.float32).tobytes() not in raw
    assert again.check_integrity() == []
    # a destroyed exhibit cannot come back in silently
    rep = again.add([a])
    assert rep.tombstoned and not rep.added


def test_integrity_check_finds_corruption(tmp_path):
    store = new_store(tmp_path / "s")
    sigs = [synth(i) for i in range(3)]
    store.add(sigs)
    assert store.check_integrity() == []
    loc = store.catalog()[sigs[1].source_sha256]
    path = store.path / loc.file
    (off, size), = [r for r in seg._byte_ranges(path, loc.row)[1:2]]  # surface bytes of row 1
    with open(path, "r+b") as fh:
        fh.seek(off + size // 2)
        b = fh.read(4)
        fh.seek(off + size // 2)
        fh.write(bytes(x ^ 0xFF for x in b))
    problems = SignatureStore.open(store.path).check_integrity()
    assert len(problems) == 1 and "checksum mismatch" in problems[0] and sigs[1].source_sha256[:12] in problems[0]


def test_split_into_shards_balances(tmp_path):
    store = new_store(tmp_path / "s")
    for i in range(4):
        store.add([synth(10 * i + j) for j in range(3)])
    store.split(2)
    again = SignatureStore.open(tmp_path / "s")
    assert again.n_shards == 2
    assert sorted(sum(s["n"] for s in again.shard_segments(k)) for k in range(2)) == [6, 6]
    assert len(again) == 12
