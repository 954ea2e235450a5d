"""The signature store: sharded, append-only, crash-safe, with tombstones."""

from __future__ import annotations

import fcntl
import json
import os
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np

from ballistics_core.errors import BallisticsError, ParamsMismatchError
from ballistics_core.store import segment as seg
from ballistics_core.store.schema import (
    LOCK,
    MANIFEST,
    SCHEMA_VERSION,
    SEGMENT_PREFIX,
    TMP_SUFFIX,
    TOMBSTONES,
    fsync_dir,
    read_json,
    write_json_atomic,
)
from ballistics_core.store.segment import StoredRecord


class StoreError(BallisticsError):
    """The store is missing, of another schema, or damaged."""


@dataclass
class AddReport:
    added: list[str] = field(default_factory=list)  # sha256 of new exhibits
    duplicates: list[tuple[str, str]] = field(default_factory=list)  # (name, sha256) already stored
    tombstoned: list[tuple[str, str]] = field(default_factory=list)  # (name, sha256) destroyed before: refused


@dataclass(frozen=True)
class Location:
    shard: int
    file: str
    row: int


class SignatureStore:
    """A directory of HDF5 segments committed through an atomic manifest.

    Open with :meth:`open` or :meth:`create`. Reading methods work from the
    manifest snapshot taken at open (call :meth:`refresh` for a newer one) and
    never block a writer; writing methods take an exclusive ``flock`` so only one
    process writes at a time.
    """

    def __init__(self, path: Path, manifest: dict):
        self.path = Path(path)
        self._manifest = manifest
        self._index_cache: dict[str, seg.SegmentIndex] = {}
        self._catalog = None

    # ---- opening -------------------------------------------------------------------------
    @classmethod
    def create(cls, path, *, params_digest: str, algorithm_version: str, descriptor_dim: int,
               ring_shape: tuple[int, int], n_shards: int = 1) -> "SignatureStore":
        path = Path(path)
        if (path / MANIFEST).exists():
            raise StoreError(f"a store already exists at {path}")
        if n_shards < 1:
            raise StoreError("a store needs at least one shard")
        path.mkdir(parents=True, exist_ok=True)
        manifest = {
            "schema_version": SCHEMA_VERSION,
            "params_digest": params_digest,
            "algorithm_version": algorithm_version,
            "descriptor_dim": int(descriptor_dim),
            "ring_shape": [int(x) for x in ring_shape],
            "n_shards": int(n_shards),
            "segments": [],
            "generation": 0,
            "store_id": uuid.uuid4().hex,
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        write_json_atomic(path / MANIFEST, manifest)
        return cls(path, manifest)

    @classmethod
    def create_for(cls, path, signature, *, n_shards: int = 1) -> "SignatureStore":
        """A new store for signatures made like ``signature`` (same digest, version and array shapes)."""
        return cls.create(path, params_digest=signature.params_digest, algorithm_version=signature.algorithm_version,
                          descriptor_dim=int(np.asarray(signature.descriptor).size),
                          ring_shape=tuple(np.shape(signature.ring_spectra)), n_shards=n_shards)

    @classmethod
    def open(cls, path) -> "SignatureStore":
        path = Path(path)
        if not (path / MANIFEST).is_file():
            raise StoreError(f"no signature store at {path}")
        try:
            manifest = read_json(path / MANIFEST)
        except (OSError, ValueError) as exc:
            raise StoreError(f"unreadable store manifest in {path}: {exc}") from None
        if manifest.get("schema_version") != SCHEMA_VERSION:
            raise StoreError(
                f"store {path} has schema {manifest.get('schema_version')}, this version reads {SCHEMA_VERSION}: "
                "re-ingest its source files into a new store")
        return cls(path, manifest)

    def refresh(self) -> "SignatureStore":
        fresh = SignatureStore.open(self.path)
        self._manifest = fresh._manifest
        self._catalog = None
        return self

    # ---- properties ------------------------------------------------------------------------
    @property
    def params_digest(self) -> str:
        return self._manifest["params_digest"]

    @property
    def algorithm_version(self) -> str:
        return self._manifest["algorithm_version"]

    @property
    def descriptor_dim(self) -> int:
        return int(self._manifest["descriptor_dim"])

    @property
    def ring_shape(self) -> tuple[int, int]:
        return tuple(int(x) for x in self._manifest["ring_shape"])

    @property
    def n_shards(self) -> int:
        return int(self._manifest["n_shards"])

    @property
    def store_id(self) -> str:
        return str(self._manifest.get("store_id", ""))

    @property
    def generation(self) -> int:
        return int(self._manifest["generation"])

    @property
    def segments(self) -> list[dict]:
        return list(self._manifest["segments"])

    def shard_segments(self, shard: int) -> list[dict]:
        return [s for s in self._manifest["segments"] if s["shard"] == shard]

    # ---- reading ---------------------------------------------------------------------------
    def segment_index(self, file: str) -> seg.SegmentIndex:
        if file not in self._index_cache:
            self._index_cache[file] = seg.read_index(self.path / file)
        return self._index_cache[file]

    def tombstones(self) -> dict[str, dict]:
        """Tombstone log entries by source SHA-256 (a torn last line is ignored)."""
        out = {}
        p = self.path / TOMBSTONES
        if p.exists():
            for line in p.read_text(encoding="utf-8").splitlines():
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue  # a writer killed mid-line; the tombstone was not committed
                out[entry["sha256"]] = entry
        return out

    def catalog(self) -> dict[str, Location]:
        """Live (not tombstoned) exhibits by source SHA-256."""
        if self._catalog is None:
            dead = self.tombstones()
            cat = {}
            for s in self._manifest["segments"]:
                idx = self.segment_index(s["file"])
                for row, sha in enumerate(idx.sha256):
                    if sha not in dead:
                        cat[sha] = Location(s["shard"], s["file"], row)
            self._catalog = cat
        return self._catalog

    def __len__(self) -> int:
        return len(self.catalog())

    @property
    def n_rows(self) -> int:
        """Rows committed, tombstoned ones included (from the manifest; reads no segment)."""
        return sum(s["n"] for s in self._manifest["segments"])

    def __contains__(self, sha256: str) -> bool:
        return sha256 in self.catalog()

    def find(self, key: str) -> str:
        """SHA-256 of the live exhibit whose name or SHA-256 (or a unique prefix of it) is ``key``."""
        cat = self.catalog()
        if key in cat:
            return key
        hits = [sha for sha, loc in cat.items() if self.segment_index(loc.file).name[loc.row] == key]
        if not hits and len(key) >= 8:
            hits = [sha for sha in cat if sha.startswith(key)]
        if len(hits) != 1:
            raise StoreError(f"{'no' if not hits else 'more than one'} stored exhibit matches {key!r}")
        return hits[0]

    def name_of(self, sha256: str) -> str:
        loc = self.catalog()[sha256]
        return self.segment_index(loc.file).name[loc.row]

    def load_signature(self, sha256: str):
        """The full :class:`Signature` of a live exhibit (synthetic surfaces regenerated)."""
        from ballistics_core.signature.model import Signature

        loc = self.catalog().get(sha256)
        if loc is None:
            raise StoreError(f"no live exhibit with SHA-256 {sha256[:12]}")
        r = seg.read_row(self.path / loc.file, loc.row)
        surface, firing_pin = r["surface"], r["firing_pin"]
        if r["synthetic"] is not None:
            from ballistics_core.signature.synthetic import synthetic_surface

            surface = synthetic_surface(**r["synthetic"])
        return Signature(
            surface=surface, spacing_um=r["spacing_um"], descriptor=r["descriptor"], ring_spectra=r["ring_spectra"],
            firing_pin=firing_pin,
            firing_pin_spacing_um=r["firing_pin_spacing_um"], kind=r["kind"],
            algorithm_version=r["algorithm_version"], params_digest=r["params_digest"],
            source_sha256=r["sha256"], meta=r["meta"],
        )

    # ---- writing ---------------------------------------------------------------------------
    @contextmanager
    def _writer(self) -> Iterator[None]:
        fd = os.open(self.path / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            self.refresh()  # another writer may have committed since we opened
            self._remove_orphans()
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def _remove_orphans(self) -> None:
        # only called under the writer lock: files not in the manifest come from killed writers
        listed = {s["file"] for s in self._manifest["segments"]}
        for p in self.path.iterdir():
            if (p.name.startswith(SEGMENT_PREFIX) and p.name not in listed) or p.name.endswith(TMP_SUFFIX):
                p.unlink(missing_ok=True)

    def _check_compatible(self, sig) -> None:
        if sig.params_digest != self.params_digest:
            raise ParamsMismatchError(
                f"signature of {sig.meta.get('source', '?')} was made with parameter digest {sig.params_digest}, "
                f"the store holds {self.params_digest}; rebuild it or use another store")
        if sig.algorithm_version != self.algorithm_version:
            raise ParamsMismatchError(
                f"signature of {sig.meta.get('source', '?')} was made by algorithm {sig.algorithm_version}, "
                f"the store holds {self.algorithm_version}")
        if np.asarray(sig.descriptor).shape != (self.descriptor_dim,):
            raise ParamsMismatchError(f"descriptor length {np.asarray(sig.descriptor).size} differs from the store's {self.descriptor_dim}")
        if sig.ring_spectra is None or tuple(np.shape(sig.ring_spectra)) != self.ring_shape:
            raise ParamsMismatchError(
                f"signature of {sig.meta.get('source', '?')} has ring spectra of shape "
                f"{None if sig.ring_spectra is None else tuple(np.shape(sig.ring_spectra))}, the store needs {self.ring_shape}")
        if not sig.source_sha256:
            raise BallisticsError("signature has no source SHA-256; the store cannot recognise duplicates")

    def add(self, items: Iterable, *, batch_size: int = 256) -> AddReport:
        """Append signatures (or :class:`StoredRecord`); identical sources are reported as duplicates.

        Each batch of ``batch_size`` is committed atomically; a failure part-way
        keeps every batch committed before it.
        """
        report = AddReport()
        with self._writer():
            seen = set(self.catalog())
            dead = set(self.tombstones())
            batch: list[StoredRecord] = []
            for item in items:
                rec = item if isinstance(item, StoredRecord) else StoredRecord(item)
                sig = rec.signature
                self._check_compatible(sig)
                if sig.source_sha256 in dead:
                    report.tombstoned.append((str(sig.meta.get("source", "")), sig.source_sha256))
                    continue
                if sig.source_sha256 in seen:
                    report.duplicates.append((str(sig.meta.get("source", "")), sig.source_sha256))
                    continue
                seen.add(sig.source_sha256)
                batch.append(rec)
                if len(batch) >= batch_size:
                    self._commit(batch)
                    report.added += [r.signature.source_sha256 for r in batch]
                    batch = []
            if batch:
                self._commit(batch)
                report.added += [r.signature.source_sha256 for r in batch]
        return report

    def _next_shard(self) -> int:
        counts = [0] * self.n_shards
        for s in self._manifest["segments"]:
            counts[s["shard"]] += s["n"]
        return int(np.argmin(counts))

    def _commit(self, batch: list[StoredRecord]) -> None:
        name = f"{SEGMENT_PREFIX}{uuid.uuid4().hex}.h5"
        tmp = self.path / (name + TMP_SUFFIX)
        seg.write_segment(tmp, batch, params_digest=self.params_digest,
                          algorithm_version=self.algorithm_version, descriptor_dim=self.descriptor_dim,
                          ring_shape=self.ring_shape)
        os.replace(tmp, self.path / name)
        fsync_dir(self.path)
        manifest = dict(self._manifest)
        manifest["segments"] = self._manifest["segments"] + [{"file": name, "shard": self._next_shard(), "n": len(batch)}]
        manifest["generation"] = self.generation + 1
        write_json_atomic(self.path / MANIFEST, manifest)  # the commit point
        self._manifest = manifest
        self._catalog = None

    def tombstone(self, key: str, *, reason: str, operator: str = "") -> dict:
        """Make an exhibit unsearchable and overwrite its stored data; the act is logged.

        The log entry is written (and fsync'd) before the bytes are overwritten, so
        an interruption leaves the exhibit unsearchable; :meth:`check_integrity`
        then reports it as not destroyed and calling this again finishes the job.
        """
        if not reason.strip():
            raise BallisticsError("a tombstone needs a reason")
        with self._writer():
            dead = self.tombstones()
            sha = key if key in dead else self.find(key)
            entry = dead.get(sha)
            if entry is None:
                loc = self.catalog()[sha]
                entry = {"sha256": sha, "name": self.name_of(sha), "file": loc.file, "row": loc.row,
                         "reason": reason, "operator": operator,
                         "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
                with open(self.path / TOMBSTONES, "a", encoding="utf-8") as fh:
                    fh.write(json.dumps(entry, sort_keys=True) + "\n")
                    fh.flush()
                    os.fsync(fh.fileno())
                manifest = dict(self._manifest, generation=self.generation + 1)
                write_json_atomic(self.path / MANIFEST, manifest)  # tells cached readers to reload
                self._manifest = manifest
            seg.destroy_rows(self.path / entry["file"], [entry["row"]])
            self._catalog = None
            return entry

    def split(self, n_shards: int) -> None:
        """Reassign segments to ``n_shards`` shards, balancing signature counts (manifest only)."""
        if n_shards < 1:
            raise StoreError("a store needs at least one shard")
        with self._writer():
            counts = [0] * n_shards
            segments = []
            for s in sorted(self._manifest["segments"], key=lambda s: (-s["n"], s["file"])):
                k = int(np.argmin(counts))
                counts[k] += s["n"]
                segments.append(dict(s, shard=k))
            order = {s["file"]: i for i, s in enumerate(self._manifest["segments"])}
            segments.sort(key=lambda s: order[s["file"]])
            manifest = dict(self._manifest, n_shards=n_shards, segments=segments, generation=self.generation + 1)
            write_json_atomic(self.path / MANIFEST, manifest)
            self._manifest = manifest
            self._catalog = None

    # ---- integrity -------------------------------------------------------------------------
    def check_integrity(self) -> list[str]:
        """Re-read every stored array and compare with its checksum; returns the problems found."""
        problems = []
        dead_rows: dict[str, set[int]] = {}
        for e in self.tombstones().values():
            dead_rows.setdefault(e["file"], set()).add(int(e["row"]))
        listed = set()
        for s in self._manifest["segments"]:
            listed.add(s["file"])
            p = self.path / s["file"]
            if not p.exists():
                problems.append(f"{s['file']}: listed in the manifest but missing")
                continue
            try:
                idx = seg.read_index(p)
                if len(idx.sha256) != s["n"]:
                    problems.append(f"{s['file']}: holds {len(idx.sha256)} rows, manifest says {s['n']}")
                if idx.params_digest != self.params_digest:
                    problems.append(f"{s['file']}: parameter digest {idx.params_digest} differs from the store's")
                problems += seg.verify_rows(p, dead_rows.get(s["file"], set()))
            except (OSError, KeyError, ValueError) as exc:
                problems.append(f"{s['file']}: unreadable ({str(exc).splitlines()[0]})")
        shas: dict[str, int] = {}
        for s in self._manifest["segments"]:
            if s["file"] in listed and (self.path / s["file"]).exists():
                try:
                    for sha in self.segment_index(s["file"]).sha256:
                        shas[sha] = shas.get(sha, 0) + 1
                except (OSError, KeyError, ValueError):
                    pass
        problems += [f"source {sha[:12]} stored {n} times" for sha, n in shas.items() if n > 1]
        return problems
