"""One immutable HDF5 segment: a batch of signatures written in a single go.

Arrays are stored with contiguous layout so a tombstone can overwrite their
bytes in place (:func:`destroy_rows`) without opening the file for HDF5 writing,
which would clash with readers' file locks.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import h5py
import numpy as np

from ballistics_core.store.schema import SCHEMA_VERSION

_STR = h5py.string_dtype("utf-8")


@dataclass(frozen=True)
class StoredRecord:
    """What the store writes for one exhibit.

    ``synthetic`` is set only for generated distractors: their surface is not
    stored but regenerated from this spec (see ``signature.synthetic``).
    """

    signature: Any  # ballistics_core.signature.Signature
    synthetic: dict | None = None


def record_checksum(descriptor: np.ndarray, surface: np.ndarray | None, firing_pin: np.ndarray | None,
                    ring_spectra: np.ndarray) -> str:
    h = hashlib.sha256()
    for a, dtype in ((descriptor, np.float32), (surface, np.float32), (firing_pin, np.float32),
                     (ring_spectra, np.complex64)):
        if a is None:
            h.update(b"\x00none")
        else:
            a = np.ascontiguousarray(a, dtype=dtype)
            h.update(repr(a.shape).encode())
            h.update(a.tobytes())
    return h.hexdigest()


def _meta_json(meta) -> str:
    return json.dumps(dict(meta), sort_keys=True, default=str)


def write_segment(path: Path, records: Sequence[StoredRecord], *, params_digest: str,
                  algorithm_version: str, descriptor_dim: int, ring_shape: tuple[int, int]) -> None:
    """Write ``records`` to ``path`` (a temporary name), flushed and fsync'd."""
    n = len(records)
    with h5py.File(path, "w", libver="latest") as f:
        f.attrs["schema_version"] = SCHEMA_VERSION
        f.attrs["params_digest"] = params_digest
        f.attrs["algorithm_version"] = algorithm_version
        f.attrs["descriptor_dim"] = descriptor_dim
        f.attrs["n"] = n
        desc = np.stack([np.asarray(r.signature.descriptor, np.float32) for r in records]) if n else np.zeros((0, descriptor_dim), np.float32)
        f.create_dataset("descriptor", data=desc)
        rings = (np.stack([np.asarray(r.signature.ring_spectra, np.complex64) for r in records]) if n
                 else np.zeros((0, *ring_shape), np.complex64))
        f.create_dataset("ring_spectra", data=rings)
        f.create_dataset("sha256", data=np.array([r.signature.source_sha256.encode() for r in records], dtype="S64"))
        f.create_dataset("name", data=[str(r.signature.meta.get("source", r.signature.meta.get("name", ""))) for r in records], dtype=_STR)
        f.create_dataset("meta_json", data=[_meta_json(r.signature.meta) for r in records], dtype=_STR)
        # a column beside the per-row attribute, so the search can keep 2-D images and 3-D scans
        # apart from the index alone (never comparable: the engine refuses the pair)
        f.create_dataset("kind", data=[str(r.signature.kind) for r in records], dtype=_STR)
        sums = []
        grp = f.create_group("sig")
        for i, r in enumerate(records):
            s = r.signature
            g = grp.create_group(f"{i:06d}")
            surface = None if r.synthetic else np.asarray(s.surface, np.float32)
            fp = None if (r.synthetic or s.firing_pin is None) else np.asarray(s.firing_pin, np.float32)
            g.create_dataset("surface", data=surface if surface is not None else np.zeros((0, 0), np.float32))
            if fp is not None:
                g.create_dataset("firing_pin", data=fp)
            g.attrs["spacing_um"] = float(s.spacing_um)
            g.attrs["firing_pin_spacing_um"] = float(s.firing_pin_spacing_um)
            g.attrs["kind"] = s.kind
            g.attrs["algorithm_version"] = s.algorithm_version
            g.attrs["params_digest"] = s.params_digest
            g.attrs["synthetic"] = json.dumps(r.synthetic, sort_keys=True) if r.synthetic else ""
            sums.append(record_checksum(desc[i], surface, fp, rings[i]).encode())
        f.create_dataset("checksum", data=np.array(sums, dtype="S64"))
        f.flush()
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass
class SegmentIndex:
    """The small per-row columns of a segment, loaded into memory."""

    file: str
    sha256: list[str]
    name: list[str]
    meta: list[dict]
    params_digest: str
    algorithm_version: str
    descriptor_dim: int
    kind: list[str] = field(default_factory=list)  # "topography" or "intensity", per row
    extra: dict = field(default_factory=dict)


def read_index(path: Path) -> SegmentIndex:
    with h5py.File(path, "r") as f:
        return SegmentIndex(
            file=path.name,
            sha256=[s.decode() for s in f["sha256"][()]],
            name=[s.decode() if isinstance(s, bytes) else str(s) for s in f["name"][()]],
            meta=[json.loads(m) for m in f["meta_json"].asstr()[()]],
            params_digest=str(f.attrs["params_digest"]),
            algorithm_version=str(f.attrs["algorithm_version"]),
            descriptor_dim=int(f.attrs["descriptor_dim"]),
            kind=_kinds(f),
        )


def _kinds(f) -> list[str]:
    """Each row's kind: the column, or (segments written before it existed) the per-row attribute."""
    if "kind" in f:
        return [str(k) for k in f["kind"].asstr()[()]]
    return [str(f[f"sig/{i:06d}"].attrs["kind"]) for i in range(int(f.attrs["n"]))]


def read_descriptors(path: Path) -> np.ndarray:
    with h5py.File(path, "r") as f:
        return np.asarray(f["descriptor"][()], dtype=np.float32)


def read_ring_spectra(path: Path, rows: Sequence[int]) -> np.ndarray:
    """Ring spectra of ``rows`` (any order), as (len(rows), R, K) complex64."""
    rows = np.asarray(rows, int)
    with h5py.File(path, "r") as f:
        d = f["ring_spectra"]
        if rows.size == 0:
            return np.zeros((0, *d.shape[1:]), np.complex64)
        uniq, inverse = np.unique(rows, return_inverse=True)  # h5py wants increasing, unique indices
        if len(uniq) * 8 >= d.shape[0]:
            # h5py selects listed rows one by one; for a large share of the segment one contiguous read is faster
            return np.asarray(d[()], np.complex64)[rows]
        return np.asarray(d[uniq.tolist()], np.complex64)[inverse.ravel()]


def read_row(path: Path, row: int) -> dict:
    """Arrays and attributes of one row (surface None for synthetic rows)."""
    with h5py.File(path, "r") as f:
        g = f[f"sig/{row:06d}"]
        surface = np.asarray(g["surface"][()], np.float32)
        synthetic = str(g.attrs["synthetic"])
        return {
            "descriptor": np.asarray(f["descriptor"][row], np.float32),
            "ring_spectra": np.asarray(f["ring_spectra"][row], np.complex64),
            "surface": None if synthetic else surface,
            "firing_pin": np.asarray(g["firing_pin"][()], np.float32) if "firing_pin" in g else None,
            "spacing_um": float(g.attrs["spacing_um"]),
            "firing_pin_spacing_um": float(g.attrs["firing_pin_spacing_um"]),
            "kind": str(g.attrs["kind"]),
            "algorithm_version": str(g.attrs["algorithm_version"]),
            "params_digest": str(g.attrs["params_digest"]),
            "synthetic": json.loads(synthetic) if synthetic else None,
            "sha256": f["sha256"][row].decode(),
            "meta": json.loads(f["meta_json"].asstr()[row]),
            "checksum": f["checksum"][row].decode(),
        }


def _byte_ranges(path: Path, row: int) -> list[tuple[int, int]]:
    ranges = []
    with h5py.File(path, "r") as f:
        for key in ("descriptor", "ring_spectra"):
            d = f[key]
            off = d.id.get_offset()
            if off is not None:
                width = int(np.prod(d.shape[1:])) * d.dtype.itemsize
                ranges.append((off + row * width, width))
        g = f[f"sig/{row:06d}"]
        for key in ("surface", "firing_pin"):
            if key in g:
                ds = g[key]
                off = ds.id.get_offset()
                if off is not None and ds.id.get_storage_size() > 0:
                    ranges.append((off, ds.id.get_storage_size()))
    return ranges


def destroy_rows(path: Path, rows: Sequence[int]) -> None:
    """Overwrite the descriptor, ring-spectra, surface and firing-pin bytes of ``rows`` with zeros."""
    ranges = [r for row in rows for r in _byte_ranges(path, row)]
    fd = os.open(path, os.O_WRONLY)
    try:
        for off, size in ranges:
            os.pwrite(fd, b"\x00" * size, off)
        os.fsync(fd)
    finally:
        os.close(fd)


def verify_rows(path: Path, destroyed: set[int]) -> list[str]:
    """Problems found re-reading every row: checksum mismatches, undestroyed tombstones."""
    problems = []
    with h5py.File(path, "r") as f:
        n = int(f.attrs["n"])
        desc = f["descriptor"][()]
        rings = f["ring_spectra"][()]
        sums = f["checksum"][()]
        shas = f["sha256"][()]
        for i in range(n):
            g = f[f"sig/{i:06d}"]
            synthetic = bool(str(g.attrs["synthetic"]))
            surface = None if synthetic else g["surface"][()]
            fp = g["firing_pin"][()] if "firing_pin" in g else None
            label = f"{path.name} row {i} ({shas[i].decode()[:12]})"
            if i in destroyed:
                arrays = [a for a in (desc[i], rings[i], surface, fp) if a is not None]
                if any(np.any(a != 0) for a in arrays):
                    problems.append(f"{label}: tombstoned but its data is not destroyed")
                continue
            if record_checksum(desc[i], surface, fp, rings[i]) != sums[i].decode():
                problems.append(f"{label}: checksum mismatch")
    return problems
