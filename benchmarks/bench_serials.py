"""Serial-number search time against register size: fuzzy (rapidfuzz) against exact.

Fills a fresh, migrated SQLite register with synthetic firearm records (serials in
the shapes makers stamp: letters and digits, with the separators people type) up to
each size, then times the service's own search functions
(:func:`service.crud.firearms.find_by_serial`) per query, all in the same run:

- ``exact``: the indexed equality on the normal form (the baseline);
- ``wildcard``: ``LIKE`` on the normal form, for a partly obliterated serial;
- ``fuzzy``: what the service does, reading every normal form and ranking them with
  rapidfuzz (Indel similarity, score >= 75, top 50);
- ``fuzzy_match_only``: the rapidfuzz ranking alone, over serials already in memory
  (what a cache of the register would cost).

Queries are serials of the register read back with a look-alike swap (O for 0, I for
1: exact search still finds them, normalisation folds both) or one misread character
(fuzzy finds them), and serials that are not there. Recall is measured on the way.

Writes ``benchmarks/results/serials/serial_search.json``. Run:

    PYTHONPATH=. .venv/bin/python benchmarks/bench_serials.py [--sizes 1000,10000,100000] [--queries 60]
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import shutil
import statistics
import string
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
OUT = REPO / "benchmarks" / "results" / "serials"

from sqlalchemy import insert  # noqa: E402

from service.core.db import make_engine, make_session_factory  # noqa: E402
from service.crud.firearms import find_by_serial  # noqa: E402
from service.firearms import serials  # noqa: E402
from service.migrations.runner import upgrade_head  # noqa: E402
from service.models import Case, Firearm, FirearmType, Jurisdiction, Role, User  # noqa: E402

LETTERS = "ABCDEFHJKMNPRTUVWXY"  # stamped prefixes; look-alike letters are added by the reader
MISREAD = {"0": "O", "1": "I", "5": "S", "8": "B", "2": "Z", "6": "G"}


def synthetic_serial(rng: random.Random) -> str:
    shape = rng.random()
    if shape < 0.4:  # "AB 123456"
        return f"{''.join(rng.choices(LETTERS, k=2))} {rng.randint(0, 999999):06d}"
    if shape < 0.7:  # "123-45678"
        return f"{rng.randint(100, 999)}-{rng.randint(0, 99999):05d}"
    if shape < 0.9:  # "KX20417"
        return "".join(rng.choices(LETTERS, k=rng.randint(1, 3))) + f"{rng.randint(0, 10**5 - 1):05d}"
    return "".join(rng.choices(string.digits, k=rng.randint(6, 10)))  # digits only


def lookalike(serial: str, rng: random.Random) -> str:
    """The serial as another person reads it: case, separators and 0/O, 1/I swapped."""
    chars = [MISREAD.get(c, c) if rng.random() < 0.5 else c for c in serial.lower()]
    return "".join(chars).replace(" ", "-")


def misread(normal: str, rng: random.Random) -> str:
    """One character of the normal form read as another (not a look-alike)."""
    i = rng.randrange(len(normal))
    other = rng.choice([c for c in "34779ACEFHKMNPRTUVWXY" if c != normal[i]])
    return normal[:i] + other + normal[i + 1:]


def ms(samples: list[float]) -> dict:
    samples = sorted(samples)
    return {"median_ms": round(1000 * statistics.median(samples), 3),
            "p95_ms": round(1000 * samples[min(len(samples) - 1, int(0.95 * len(samples)))], 3),
            "mean_ms": round(1000 * statistics.fmean(samples), 3), "queries": len(samples)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000,10000,100000")
    ap.add_argument("--queries", type=int, default=60, help="queries of each kind per size")
    ap.add_argument("--seed", type=int, default=12)
    ap.add_argument("--out", type=Path, default=OUT / "serial_search.json")
    args = ap.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    rng = random.Random(args.seed)

    root = Path(tempfile.mkdtemp(prefix="bench-serials-"))
    engine = make_engine(f"sqlite:///{root / 'register.db'}")
    upgrade_head(engine)
    factory = make_session_factory(engine)
    now = datetime.now(timezone.utc)
    with factory() as s:
        jid = s.execute(insert(Jurisdiction).values(code="NORTH", name="North", is_partner=False)).inserted_primary_key[0]
        uid = s.execute(insert(User).values(username="bench", full_name="bench", hashed_password="x", role=Role.examiner,
                                            jurisdiction_id=jid, is_active=True, created_at=now)).inserted_primary_key[0]
        cid = s.execute(insert(Case).values(jurisdiction_id=jid, reference="BENCH", title="", status="open",
                                            created_by_id=uid, created_at=now)).inserted_primary_key[0]
        s.commit()

    entered: dict[int, tuple[str, str]] = {}  # firearm id -> (as entered, normal form)
    results = []
    next_id = 1
    for size in sizes:
        with factory() as s:
            rows = []
            while next_id <= size:
                raw = synthetic_serial(rng)
                normal = serials.normalise(raw)
                rows.append(dict(id=next_id, case_id=cid, kind=FirearmType.pistol, serial_number=raw,
                                 serial_normalised=normal, created_by_id=uid, created_at=now, updated_at=now))
                entered[next_id] = (raw, normal)
                next_id += 1
            t = time.perf_counter()
            for k in range(0, len(rows), 20000):
                s.execute(insert(Firearm), rows[k:k + 20000])
            s.commit()
            fill_s = time.perf_counter() - t

        ids = rng.sample(sorted(entered), args.queries)
        present = [(fid, lookalike(entered[fid][0], rng)) for fid in ids]
        typos = [(fid, misread(entered[fid][1], rng)) for fid in ids]
        absent = [(None, synthetic_serial(rng) + "7") for _ in range(args.queries)]
        patterns = [(fid, entered[fid][1][:-3] + "???") for fid in ids[: max(10, args.queries // 3)]]
        choices = {fid: n for fid, (_raw, n) in entered.items()}
        timings: dict[str, list[float]] = {k: [] for k in ("exact", "wildcard", "fuzzy", "fuzzy_match_only")}
        found = {"exact_lookalike": 0, "fuzzy_misread": 0, "wildcard": 0, "exact_absent_hits": 0}

        with factory() as s:
            find_by_serial(s, serials.normalise(present[0][1]), "exact", 75.0, 50)  # warm the connection
            for queries, kind in ((present, "present"), (absent, "absent")):
                for fid, q in queries:
                    normal = serials.normalise(q)
                    t = time.perf_counter()
                    got = find_by_serial(s, normal, "exact", 75.0, 50)
                    timings["exact"].append(time.perf_counter() - t)
                    if kind == "present":
                        found["exact_lookalike"] += any(f.id == fid for f, _ in got)
                    else:
                        found["exact_absent_hits"] += bool(got)
            for fid, q in patterns:
                normal = serials.normalise_pattern(q)
                t = time.perf_counter()
                got = find_by_serial(s, normal, "wildcard", 75.0, 50)
                timings["wildcard"].append(time.perf_counter() - t)
                found["wildcard"] += any(f.id == fid for f, _ in got)
            for fid, q in typos:
                t = time.perf_counter()
                got = find_by_serial(s, q, "fuzzy", 75.0, 50)
                timings["fuzzy"].append(time.perf_counter() - t)
                found["fuzzy_misread"] += any(f.id == fid for f, _ in got)
                t = time.perf_counter()
                serials.fuzzy(q, choices, min_score=75.0, limit=50)
                timings["fuzzy_match_only"].append(time.perf_counter() - t)
            s.rollback()

        stats = {k: ms(v) for k, v in timings.items()}
        base = stats["exact"]["median_ms"]
        row = {
            "register_size": size,
            "fill_seconds": round(fill_s, 2),
            **{k: v for k, v in stats.items()},
            "ratio_to_exact_median": {k: round(stats[k]["median_ms"] / base, 1) for k in stats if k != "exact"},
            "recall": {
                "exact_finds_lookalike_entry": round(found["exact_lookalike"] / len(present), 3),
                "fuzzy_finds_one_misread_character": round(found["fuzzy_misread"] / len(typos), 3),
                "wildcard_finds_last_three_unreadable": round(found["wildcard"] / len(patterns), 3),
                "exact_hits_on_absent_serials": found["exact_absent_hits"],
            },
        }
        results.append(row)
        print(f"{size:>7} serials: exact {stats['exact']['median_ms']:.2f} ms, wildcard "
              f"{stats['wildcard']['median_ms']:.2f} ms, fuzzy {stats['fuzzy']['median_ms']:.2f} ms "
              f"(x{row['ratio_to_exact_median']['fuzzy']}), fuzzy match only "
              f"{stats['fuzzy_match_only']['median_ms']:.2f} ms (x{row['ratio_to_exact_median']['fuzzy_match_only']}); "
              f"recall {row['recall']}", flush=True)
    engine.dispose()
    shutil.rmtree(root, ignore_errors=True)

    import rapidfuzz
    import sqlalchemy

    out = {
        "benchmark": "serial search time against register size",
        "command": "PYTHONPATH=. python benchmarks/bench_serials.py --sizes " + ",".join(map(str, sizes))
                   + f" --queries {args.queries} --seed {args.seed}",
        "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "platform": platform.platform(),
                    "cpus": __import__("os").cpu_count(), "rapidfuzz": rapidfuzz.__version__,
                    "sqlalchemy": sqlalchemy.__version__, "database": "SQLite (file, one connection)"},
        "settings": {"fuzzy_min_score": 75.0, "limit": 50, "queries_per_kind": args.queries, "seed": args.seed},
        "notes": "Times per query through service.crud.firearms.find_by_serial on one warm session. 'fuzzy' "
                 "reads every normal form from the database on each query, as the API does; 'fuzzy_match_only' "
                 "is the rapidfuzz ranking alone over serials held in memory. Ratios are of medians in this run.",
        "results": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
