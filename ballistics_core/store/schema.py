"""The on-disk layout of a signature store, and its atomic manifest.

A store is a directory::

    S/manifest.json        the commit record: schema, parameter digest, shards, segments
    S/seg-<uuid>.h5        immutable HDF5 segments, each holding one ingest batch
    S/tombstones.jsonl     append-only log of destroyed exhibits
    S/.writer.lock         held (flock) by the one process allowed to write

A segment is written under a temporary name, flushed and fsync'd, renamed into
place, and only then listed in a new manifest that replaces the old one with
``os.replace``. The manifest replacement is the single commit point: a writer
killed at any moment leaves either the old manifest (the batch is lost, nothing
committed before it is touched) or the new one (the batch is complete). Readers
take a manifest snapshot and read only segments it lists, which never change
afterwards except for the in-place overwrite of a tombstoned exhibit.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

SCHEMA_VERSION = 2  # 2: ring spectra per signature (second screening tier)
MANIFEST = "manifest.json"
TOMBSTONES = "tombstones.jsonl"
LOCK = ".writer.lock"
SEGMENT_PREFIX = "seg-"
TMP_SUFFIX = ".tmp"

# metadata fields kept as filterable columns
FILTER_FIELDS = ("calibre", "firing_pin_class", "jurisdiction", "date")


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_json_atomic(path: Path, payload: dict) -> None:
    tmp = path.with_name(path.name + TMP_SUFFIX)
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(payload, fh, indent=1, sort_keys=True)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)


def read_json(path: Path) -> dict:
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)
