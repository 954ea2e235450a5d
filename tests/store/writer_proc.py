"""A writer process for crash and concurrency tests: appends batches until killed.

Usage: python -m tests.store.writer_proc STORE BATCH_SIZE START
Prints "committed <sha> <sha> ..." after each committed batch (the signatures it added)
and "duplicate <sha> ..." for those another writer had already stored.
"""

import dataclasses
import hashlib
import sys

from ballistics_core.store import SignatureStore
from tests.store.sigs import synth


def main() -> None:
    path, batch_size, start = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    templates = [synth(seed) for seed in range(4)]
    store = SignatureStore.open(path)
    i = start
    while True:
        batch = []
        for _ in range(batch_size):
            sha = hashlib.sha256(f"crash-test-{i}".encode()).hexdigest()
            batch.append(dataclasses.replace(templates[i % 4], source_sha256=sha, meta={"source": f"w{i}"}))
            i += 1
        report = store.add(batch, batch_size=batch_size)
        print("committed", " ".join(report.added), flush=True)
        if report.duplicates:
            print("duplicate", " ".join(sha for _, sha in report.duplicates), flush=True)


if __name__ == "__main__":
    main()
