"""Consistent backups of a running service, and restoring one on an empty machine.

A backup is a folder::

    DIR/backup.json          what was taken, and the SHA-256 and size of every file below
    DIR/database.dump        PostgreSQL: ``pg_dump`` custom format   (or)
    DIR/database.sqlite      SQLite: a copy made through the online backup API
    DIR/store/...            the signature store at one committed manifest
    DIR/uploads/...          the uploaded originals the database refers to
    DIR/reports/...          the stored intelligence reports the database refers to

Order makes it consistent. The database is snapshotted first and the store second,
because an upload commits its signature to the store *before* it commits its scan
row (``service.crud.uploads``) and the store only ever grows: every signature that a
committed scan row names was already in a committed store manifest when the database
was snapshotted, so it is in the (later) manifest the backup copies. The reverse order
would lose a scan committed between the two snapshots. The store may hold a few more
signatures than the database knows (uploads in flight at the snapshot); they carry the
``scan_id`` the service gave them, so restore finds them and tombstones them, as the
service itself does with an upload that does not reach the database. Originals and
reports are written before their rows commit and never change afterwards, so copying
the ones the snapshot names after the snapshot is safe.

The store is copied under its writer lock (readers and searches carry on; an upload
waits for the copy), because a tombstone overwrites rows of a segment in place.

Everything is written into a temporary folder beside ``DIR`` and renamed into place
only when complete: a backup killed at any moment leaves the previous one intact.
"""

from __future__ import annotations

import fcntl
import glob
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import inspect, select, update
from sqlalchemy.engine import URL, make_url

from ballistics_core import __version__
from ballistics_core.errors import BallisticsError
from ballistics_core.store.schema import LOCK, MANIFEST, TOMBSTONES
from service.core.config import Settings

BACKUP_FORMAT = 1
BACKUP_MANIFEST = "backup.json"
PG_DUMP_FILE = "database.dump"
SQLITE_FILE = "database.sqlite"
CHUNK = 1 << 20


class BackupError(BallisticsError):
    """A backup cannot be taken, or a folder is not a restorable backup."""


# --- helpers -----------------------------------------------------------------------------


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


def _copy_hashed(src: Path, dst: Path) -> tuple[str, int]:
    """Copy ``src`` to ``dst`` and return the SHA-256 and size of the bytes written."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    h, n = hashlib.sha256(), 0
    with open(src, "rb") as fin, open(dst, "wb") as fout:
        while chunk := fin.read(CHUNK):
            h.update(chunk)
            n += len(chunk)
            fout.write(chunk)
        fout.flush()
        os.fsync(fout.fileno())
    return h.hexdigest(), n


def _fsync_tree(root: Path) -> None:
    for dirpath, _dirs, _files in os.walk(root):
        fd = os.open(dirpath, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def pg_tool(name: str) -> str:
    """``pg_dump`` / ``pg_restore``: ``BALLISTICS_PG_BIN``, else the newest Debian install, else PATH."""
    explicit = os.environ.get("BALLISTICS_PG_BIN")
    if explicit and (Path(explicit) / name).is_file():
        return str(Path(explicit) / name)
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(p.split("/")[4]))
    tool = found[-1] if found else shutil.which(name)
    if tool is None:
        raise BackupError(f"{name} not found: install the PostgreSQL client or set BALLISTICS_PG_BIN")
    return tool


def _libpq(url: URL) -> tuple[list[str], dict[str, str]]:
    """Connection arguments for the PostgreSQL command-line tools (the password via the environment)."""
    args = []
    if url.host:
        args += ["--host", url.host]
    if url.port:
        args += ["--port", str(url.port)]
    if url.username:
        args += ["--username", url.username]
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    return args, env


def _run_tool(cmd: list[str], env: dict[str, str], what: str) -> None:
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        lines = [l for l in (proc.stderr or proc.stdout or "").strip().splitlines() if l.strip()]
        raise BackupError(f"{what} failed: {lines[0] if lines else f'exit {proc.returncode}'}")


def reports_root(settings: Settings) -> Path:
    from service.intel.store import reports_dir

    return reports_dir(settings)


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up or restored")
    return Path(url.database)


# --- backup ------------------------------------------------------------------------------


@dataclass
class BackupReport:
    path: Path
    files: int
    bytes: int
    seconds: float
    database: str
    store_generation: int | None
    scans: int
    missing: list[str] = field(default_factory=list)


def _referenced(conn) -> tuple[list[tuple[str, str]], list[str]]:
    """The originals (stored_path, sha256) and report paths a database connection's snapshot names."""
    from service.models import ScanRecord

    scans = [(r.stored_path, r.sha256) for r in conn.execute(select(ScanRecord.stored_path, ScanRecord.sha256))]
    reports: list[str] = []
    if inspect(conn).has_table("intel_report"):
        from service.intel.store import IntelReport

        reports = [p for (p,) in conn.execute(select(IntelReport.stored_path))]
    return scans, reports


def _snapshot_database(settings: Settings, dest: Path) -> tuple[str, str, list[tuple[str, str]], list[str]]:
    """Database snapshot into ``dest``; returns (kind, file name, originals, reports) as the snapshot holds them."""
    from sqlalchemy import create_engine

    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite":
        src_path = _sqlite_path(url)
        if not src_path.is_file():
            raise BackupError(f"no database at {src_path}")
        src = sqlite3.connect(f"file:{src_path}?mode=ro", uri=True, timeout=60)
        dst = sqlite3.connect(dest / SQLITE_FILE)
        try:
            # One step (pages=-1): the copy is taken under one read transaction, a consistent snapshot.
            src.backup(dst, pages=-1)
            # A single self-contained file: no WAL beside it.
            dst.execute("PRAGMA journal_mode=DELETE")
        finally:
            dst.close()
            src.close()
        copy = create_engine(f"sqlite:///{dest / SQLITE_FILE}")
        try:
            with copy.connect() as conn:
                scans, reports = _referenced(conn)
        finally:
            copy.dispose()
        return "sqlite", SQLITE_FILE, scans, reports
    if url.get_backend_name() == "postgresql":
        args, env = _libpq(url)
        live = create_engine(settings.database_url)
        try:
            # pg_dump runs in a snapshot exported from this transaction, so the rows read here
            # are exactly the rows the dump holds.
            with live.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
                with conn.begin():
                    snapshot = conn.exec_driver_sql("SELECT pg_export_snapshot()").scalar_one()
                    scans, reports = _referenced(conn)
                    _run_tool([pg_tool("pg_dump"), *args, "--format=custom", "--no-owner", "--no-privileges",
                               f"--snapshot={snapshot}", f"--file={dest / PG_DUMP_FILE}", url.database or "postgres"],
                              env, "pg_dump")
        except BackupError:
            raise
        except Exception as exc:  # unreachable server, unknown database
            raise BackupError(f"cannot reach the database: {str(exc).strip().splitlines()[0]}") from None
        finally:
            live.dispose()
        return "postgresql", PG_DUMP_FILE, scans, reports
    raise BackupError(f"cannot back up a {url.get_backend_name()} database (PostgreSQL and SQLite are supported)")


def _copy_store(store_dir: Path, dest: Path, files: dict[str, dict]) -> int | None:
    """Copy the store at its committed manifest, under the writer lock; returns the generation."""
    if not (store_dir / MANIFEST).is_file():
        return None
    fd = os.open(store_dir / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        manifest_bytes = (store_dir / MANIFEST).read_bytes()
        manifest = json.loads(manifest_bytes)
        out = dest / "store"
        out.mkdir(parents=True, exist_ok=True)
        names = [s["file"] for s in manifest["segments"]]
        if (store_dir / TOMBSTONES).is_file():
            names.append(TOMBSTONES)
        for name in names:
            sha, n = _copy_hashed(store_dir / name, out / name)
            files[f"store/{name}"] = {"sha256": sha, "size": n}
        (out / MANIFEST).write_bytes(manifest_bytes)
        files[f"store/{MANIFEST}"] = {"sha256": hashlib.sha256(manifest_bytes).hexdigest(), "size": len(manifest_bytes)}
        return int(manifest.get("generation", 0))
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def _upload_rel(stored_path: str, upload_dir: Path) -> str | None:
    """Path of an original relative to the upload folder (None when it lies elsewhere)."""
    p = Path(stored_path)
    for root in (upload_dir, upload_dir.resolve()):
        try:
            return p.relative_to(root).as_posix()
        except ValueError:
            pass
    try:
        return p.resolve().relative_to(upload_dir.resolve()).as_posix()
    except ValueError:
        return None


def _recover_interrupted_swap(dest: Path) -> None:
    """A backup killed between its two renames left the previous backup aside: put it back."""
    aside = dest.with_name(f".{dest.name}.previous")
    if aside.is_dir() and not dest.exists():
        os.replace(aside, dest)
    elif aside.is_dir():
        shutil.rmtree(aside)


def backup(settings: Settings, dest: Path | str) -> BackupReport:
    """Take a consistent backup of the service described by ``settings`` into ``dest``.

    ``dest`` is replaced only once the new backup is complete; see the module docstring
    for why the database is snapshotted before the store.
    """
    t0 = time.perf_counter()
    dest = Path(dest).absolute()
    if dest.exists() and not (dest / BACKUP_MANIFEST).is_file() and any(dest.iterdir()):
        raise BackupError(f"{dest} exists and is not a backup: name an empty or new folder, or a previous backup")
    dest.parent.mkdir(parents=True, exist_ok=True)
    _recover_interrupted_swap(dest)
    for stale in dest.parent.glob(f".{dest.name}.partial-*"):
        shutil.rmtree(stale, ignore_errors=True)  # left by a backup that was killed
    tmp = dest.with_name(f".{dest.name}.partial-{uuid.uuid4().hex[:8]}")
    tmp.mkdir()
    try:
        files: dict[str, dict] = {}
        started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        # 1. the database
        kind, db_file, scans, reports = _snapshot_database(settings, tmp)
        files[db_file] = {"sha256": sha256_file(tmp / db_file), "size": (tmp / db_file).stat().st_size}
        n_scans = len(scans)
        # 2. the store, at a manifest committed after the database snapshot
        generation = _copy_store(Path(settings.store_dir), tmp, files)
        # 3. originals and reports
        missing = []
        upload_dir = Path(settings.upload_dir)
        for stored_path, sha in scans:
            rel = _upload_rel(stored_path, upload_dir)
            src = upload_dir / rel if rel is not None else Path(stored_path)
            if rel is None or not src.is_file():
                missing.append(stored_path)
                continue
            digest, n = _copy_hashed(src, tmp / "uploads" / rel)
            files[f"uploads/{rel}"] = {"sha256": digest, "size": n}
        rroot = reports_root(settings)
        for rel in reports:
            if (rroot / rel).is_file():
                digest, n = _copy_hashed(rroot / rel, tmp / "reports" / rel)
                files[f"reports/{rel}"] = {"sha256": digest, "size": n}
            else:
                missing.append(str(rroot / rel))
        manifest = {
            "format": BACKUP_FORMAT,
            "backup_id": uuid.uuid4().hex,
            "started": started,
            "finished": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "software": f"ballistics-engine {__version__}",
            "database": {"kind": kind, "file": db_file, "scans": n_scans},
            "store": {"generation": generation},
            "source": {"upload_dir": str(upload_dir.absolute())},
            "missing": missing,
            "files": dict(sorted(files.items())),
        }
        with open(tmp / BACKUP_MANIFEST, "w", encoding="utf-8") as fh:
            json.dump(manifest, fh, indent=1, sort_keys=True)
            fh.flush()
            os.fsync(fh.fileno())
        _fsync_tree(tmp)
        # 4. into place: the previous backup is set aside only now, and removed once the new one is there.
        aside = dest.with_name(f".{dest.name}.previous")
        if dest.exists():
            os.replace(dest, aside)
        os.replace(tmp, dest)
        if aside.exists():
            shutil.rmtree(aside)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    total = sum(f["size"] for f in files.values())
    return BackupReport(dest, len(files) + 1, total, time.perf_counter() - t0, kind, generation, n_scans, missing)


# --- restore -----------------------------------------------------------------------------


@dataclass
class RestoreReport:
    seconds: float
    files: int
    audit_ok: bool
    audit_entries: int
    audit_reason: str
    store_signatures: int | None
    store_problems: list[str]
    tombstoned: list[str]


def read_manifest(src: Path) -> dict:
    p = Path(src) / BACKUP_MANIFEST
    if not p.is_file():
        raise BackupError(f"{src} is not a backup: {BACKUP_MANIFEST} is missing")
    try:
        manifest = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BackupError(f"damaged backup: {BACKUP_MANIFEST} is unreadable ({exc})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != BACKUP_FORMAT or not isinstance(manifest.get("files"), dict):
        raise BackupError(f"damaged backup: {BACKUP_MANIFEST} is not a backup manifest of format {BACKUP_FORMAT}")
    return manifest


def verify_backup(src: Path) -> dict:
    """Check every file against its recorded SHA-256 and size; raise naming the first damaged one."""
    src = Path(src)
    manifest = read_manifest(src)
    for rel, meta in manifest["files"].items():
        p = src / rel
        if ".." in Path(rel).parts or Path(rel).is_absolute():
            raise BackupError(f"damaged backup: {BACKUP_MANIFEST} names a path outside the backup ({rel})")
        if not p.is_file():
            raise BackupError(f"damaged backup: {rel} is missing")
        if p.stat().st_size != meta.get("size") or sha256_file(p) != meta.get("sha256"):
            raise BackupError(f"damaged backup: {rel} does not match its recorded SHA-256")
    db = manifest.get("database", {})
    if db.get("file") not in manifest["files"]:
        raise BackupError("damaged backup: the manifest names no database file")
    return manifest


def _not_empty(path: Path) -> bool:
    return path.exists() and (not path.is_dir() or any(path.iterdir()))


def _check_empty_target(settings: Settings, kind: str) -> None:
    url = make_url(settings.database_url)
    backend = url.get_backend_name()
    if backend != kind:
        raise BackupError(f"the backup holds a {kind} database but BALLISTICS_DATABASE_URL names {backend}")
    if kind == "sqlite":
        p = _sqlite_path(url)
        if p.exists() and p.stat().st_size > 0:
            raise BackupError(f"a database already exists at {p}: restore rebuilds a service on an empty machine")
    else:
        from service.core.db import make_engine

        engine = make_engine(settings.database_url)
        try:
            with engine.connect() as conn:
                tables = inspect(conn).get_table_names()
        except Exception as exc:  # unreachable server, unknown database
            raise BackupError(f"cannot reach the database: {str(exc).strip().splitlines()[0]}") from None
        finally:
            engine.dispose()
        if tables:
            raise BackupError(f"the database {url.database} is not empty ({len(tables)} tables): restore needs an empty one")
    for what, path in (("store", Path(settings.store_dir)), ("upload", Path(settings.upload_dir)),
                       ("reports", reports_root(settings))):
        if _not_empty(path):
            raise BackupError(f"the {what} folder {path} is not empty: restore rebuilds a service on an empty machine")


def _restore_database(settings: Settings, src: Path, db: dict) -> None:
    url = make_url(settings.database_url)
    if db["kind"] == "sqlite":
        target = _sqlite_path(url)
        target.parent.mkdir(parents=True, exist_ok=True)
        s = sqlite3.connect(f"file:{src / db['file']}?mode=ro", uri=True)
        d = sqlite3.connect(target)
        try:
            s.backup(d, pages=-1)
        finally:
            d.close()
            s.close()
        return
    args, env = _libpq(url)
    _run_tool([pg_tool("pg_restore"), *args, "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
               f"--dbname={url.database or 'postgres'}", str(src / db["file"])], env, "pg_restore")


def restore(settings: Settings, src: Path | str) -> RestoreReport:
    """Rebuild the service described by ``settings`` (empty database and folders) from a backup.

    Every file is checked first; nothing is written if one is damaged. Ends with the
    audit-chain verification and the store integrity check.
    """
    from service import audit
    from service.core.db import make_engine, make_session_factory
    from service.migrations.runner import upgrade_head
    from service.models import ScanRecord

    t0 = time.perf_counter()
    src = Path(src)
    manifest = verify_backup(src)
    db = manifest["database"]
    _check_empty_target(settings, db["kind"])
    _restore_database(settings, src, db)
    for rel in manifest["files"]:
        top, _, rest = rel.partition("/")
        target = {"store": Path(settings.store_dir), "uploads": Path(settings.upload_dir),
                  "reports": reports_root(settings)}.get(top)
        if target is not None and rest:
            (target / rest).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src / rel, target / rest)
    Path(settings.upload_dir).mkdir(parents=True, exist_ok=True)

    engine = make_engine(settings.database_url)
    tombstoned: list[str] = []
    try:
        upgrade_head(engine)  # a backup of an older version comes up at this version's schema
        with make_session_factory(engine)() as s:
            known = set(s.scalars(select(ScanRecord.signature_id).where(ScanRecord.signature_id.is_not(None))))
            store = None
            if (Path(settings.store_dir) / MANIFEST).is_file():
                from ballistics_core.store import SignatureStore

                store = SignatureStore.open(settings.store_dir)
                # Uploads in flight at the snapshot: in the store, never committed to the database.
                for sha, loc in list(store.catalog().items()):
                    meta = store.segment_index(loc.file).meta[loc.row]
                    if "scan_id" in meta and sha not in known:
                        store.tombstone(sha, reason=f"upload not committed to the database in backup {manifest['backup_id']}",
                                        operator="restore")
                        tombstoned.append(sha)
            # Originals now live under this machine's upload folder; the rows say so.
            old_root = Path(manifest.get("source", {}).get("upload_dir", ""))
            new_root = Path(settings.upload_dir).absolute()
            moved = 0
            if old_root != new_root:
                for scan in s.scalars(select(ScanRecord)):
                    rel = _upload_rel(scan.stored_path, old_root)
                    if rel is not None:
                        s.execute(update(ScanRecord).where(ScanRecord.id == scan.id).values(stored_path=str(new_root / rel)))
                        moved += 1
            audit.record(s, None, "restore", "backup", manifest["backup_id"], taken=manifest.get("finished"),
                         files=len(manifest["files"]), tombstoned=tombstoned, upload_dir_from=str(old_root),
                         upload_dir_to=str(new_root), originals_moved=moved)
            s.commit()
            report = audit.verify(s)
    finally:
        engine.dispose()
    problems: list[str] = []
    count = None
    if store is not None:
        store.refresh()
        problems = store.check_integrity()
        count = len(store)
    return RestoreReport(time.perf_counter() - t0, len(manifest["files"]), report.ok, report.entries, report.reason,
                         count, problems, tombstoned)
