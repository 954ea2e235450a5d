"""Ground truth for a validation run: which file is which case from which firearm.

Reads ``TRUTH.csv`` (the columns of ``../shared/data/ground_truth.csv``:
``file``, ``scan_id``, ``firearm``; optional ``dataset`` and ``state``) and
matches its rows to the scans found in a folder. Every problem with the truth
file is a :class:`~ballistics_core.errors.BallisticsError` naming the row.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ballistics_core.errors import BallisticsError

__all__ = ["TruthEntry", "REQUIRED_COLUMNS", "read_truth", "assign_datasets"]

REQUIRED_COLUMNS = ("file", "scan_id", "firearm")
# A truth file is a table of a few thousand rows at most; refuse anything absurd early.
_MAX_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class TruthEntry:
    """One truth row matched to a scan file.

    Attributes
    ----------
    name : str
        File stem: how ``compare-all`` names the scan.
    path : Path
        The scan file in the validated folder.
    relpath : str
        Its path relative to that folder (POSIX separators).
    scan_id, firearm : str
        The physical case and the firearm that fired it.
    dataset : str
        The set whose figures the pair counts towards (see :func:`assign_datasets`).
    state : str
        ``raw`` / ``processed`` / ``2d-image`` where the truth says so, else empty.
    group : str
        The dataset before any split by state (pairs across states of one group
        are reported as their own set).
    """

    name: str
    path: Path
    relpath: str
    scan_id: str
    firearm: str
    dataset: str
    state: str
    group: str = ""


def _rows(truth_path: Path) -> tuple[list[str], list[dict[str, str]]]:
    p = Path(truth_path)
    if not p.is_file():
        raise BallisticsError(f"truth file {p}: not found or not a file")
    if p.stat().st_size > _MAX_BYTES:
        raise BallisticsError(f"truth file {p}: larger than {_MAX_BYTES // 2**20} MiB")
    try:
        text = p.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BallisticsError(f"truth file {p}: not UTF-8 text (byte {exc.start})") from None
    if "\x00" in text:
        raise BallisticsError(f"truth file {p}: binary content (NUL byte), not a CSV")
    try:
        reader = csv.reader(text.splitlines())
        header = next(reader, None)
        if not header or not any(h.strip() for h in header):
            raise BallisticsError(f"truth file {p}: empty (expected a header with {', '.join(REQUIRED_COLUMNS)})")
        header = [h.strip() for h in header]
        missing = [c for c in REQUIRED_COLUMNS if c not in header]
        if missing:
            raise BallisticsError(f"truth file {p}: missing column(s) {', '.join(missing)} "
                                  f"(has {', '.join(h for h in header if h) or 'none'})")
        dupes = sorted({h for h in header if h and header.count(h) > 1})
        if dupes:
            raise BallisticsError(f"truth file {p}: column(s) {', '.join(dupes)} appear twice")
        rows = []
        for line_no, fields in enumerate(reader, start=2):
            if not fields or not any(f.strip() for f in fields):
                continue
            if len(fields) != len(header):
                raise BallisticsError(f"truth file {p}, line {line_no}: {len(fields)} fields, header has {len(header)}")
            rows.append({"_line": str(line_no), **{h: f.strip() for h, f in zip(header, fields)}})
    except csv.Error as exc:
        raise BallisticsError(f"truth file {p}: not a readable CSV ({exc})") from None
    if not rows:
        raise BallisticsError(f"truth file {p}: no rows under the header")
    return header, rows


def read_truth(truth_path: str | Path, folder: str | Path, files: list[Path], *, partial: bool = False
               ) -> tuple[list[TruthEntry], list[Path], list[str]]:
    """Match the truth rows to the scan files of ``folder``.

    A row's ``file`` is looked up as a path relative to ``folder``; failing
    that, by file name where exactly one scan has it (so a truth file written
    for a parent folder also serves one of its subfolders).

    Parameters
    ----------
    truth_path : path
    folder : path
        The validated folder.
    files : list of Path
        Its scans (``ballistics_core.io.scan_files``).
    partial : bool
        Accept rows that name files absent from ``folder`` (returned, not an error).

    Returns
    -------
    entries : list of TruthEntry
        In the order of ``files``; ``dataset`` is still the raw column value.
    unlabelled : list of Path
        Scans with no truth row (left out of the validation).
    absent : list of str
        Rows' ``file`` values not found in ``folder`` (only with ``partial``).

    Raises
    ------
    BallisticsError
        Missing columns, broken rows, empty cells, a file listed twice, a case
        given two firearms, or (without ``partial``) a row naming no scan.
    """
    header, rows = _rows(Path(truth_path))
    root = Path(folder)
    by_rel = {PurePosixPath(f.relative_to(root).as_posix()).as_posix(): f for f in files}
    by_name: dict[str, list[Path]] = {}
    for f in files:
        by_name.setdefault(f.name, []).append(f)
    matched: dict[Path, dict[str, str]] = {}
    absent: list[str] = []
    firearm_of: dict[str, tuple[str, str]] = {}
    for row in rows:
        where = f"truth file {truth_path}, line {row['_line']}"
        for col in REQUIRED_COLUMNS:
            if not row[col]:
                raise BallisticsError(f"{where}: empty {col!r}")
        key = PurePosixPath(row["file"].replace("\\", "/")).as_posix().removeprefix("./")
        path = by_rel.get(key)
        if path is None:
            candidates = by_name.get(PurePosixPath(key).name, [])
            path = candidates[0] if len(candidates) == 1 else None
        if path is None:
            absent.append(row["file"])
            continue
        if path in matched:
            raise BallisticsError(f"{where}: {row['file']!r} already given on line {matched[path]['_line']}")
        prev = firearm_of.get(row["scan_id"])
        if prev is not None and prev[0] != row["firearm"]:
            raise BallisticsError(f"{where}: case {row['scan_id']!r} is given firearm {row['firearm']!r} "
                                  f"here and {prev[0]!r} on line {prev[1]}")
        firearm_of[row["scan_id"]] = (row["firearm"], row["_line"])
        matched[path] = row
    if absent and not partial:
        shown = ", ".join(repr(a) for a in absent[:3]) + (f" and {len(absent) - 3} more" if len(absent) > 3 else "")
        raise BallisticsError(f"truth file {truth_path} names {len(absent)} file(s) not found in {folder}: {shown} "
                              "(use --partial to validate only the files present)")
    if not matched:
        raise BallisticsError(f"truth file {truth_path}: none of its files is a scan in {folder}")
    entries = []
    for f in files:
        row = matched.get(f)
        if row is None:
            continue
        entries.append(TruthEntry(name=f.stem, path=f, relpath=f.relative_to(root).as_posix(),
                                  scan_id=row["scan_id"], firearm=row["firearm"],
                                  dataset=row.get("dataset", ""), state=row.get("state", "")))
    unlabelled = [f for f in files if f not in matched]
    return entries, unlabelled, absent


def assign_datasets(entries: list[TruthEntry], folder_name: str) -> list[TruthEntry]:
    """Name the dataset each scan's figures count towards.

    The truth's ``dataset`` column where given, else the scan's subfolder (the
    folder's own name for scans at its top). A dataset that mixes states
    (raw and processed scans of the same cases, or 2-D images) is split by
    state, since those are different methods of measurement to validate.
    """
    from dataclasses import replace

    def base(e: TruthEntry) -> str:
        if e.dataset:
            return e.dataset
        parent = PurePosixPath(e.relpath).parent.as_posix()
        return folder_name if parent == "." else parent

    states: dict[str, set[str]] = {}
    for e in entries:
        states.setdefault(base(e), set()).add(e.state)
    return [replace(e, dataset=f"{base(e)} ({e.state})" if len(states[base(e)]) > 1 and e.state else base(e),
                    group=base(e))
            for e in entries]
