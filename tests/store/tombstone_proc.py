"""A tombstoning process killed (SIGKILL) at a chosen point, for the crash tests.

Usage: python -m tests.store.tombstone_proc STORE SHA256 POINT, where POINT is

* ``logged``: the destruction is in the log (fsync'd), the manifest not yet bumped;
* ``listed``: log and manifest written, not one byte overwritten yet;
* ``overwriting``: the first of the exhibit's arrays zeroed, the others not.
"""

import os
import signal
import sys

from ballistics_core.store import SignatureStore
from ballistics_core.store import segment as seg
from ballistics_core.store import store as store_module


def _die(*_args, **_kwargs):
    os.kill(os.getpid(), signal.SIGKILL)


def main() -> None:
    path, sha, point = sys.argv[1], sys.argv[2], sys.argv[3]
    if point == "logged":
        store_module.write_json_atomic = _die
    elif point == "listed":
        seg.destroy_rows = _die
    elif point == "overwriting":
        real, calls = os.pwrite, []

        def pwrite(fd, data, offset):
            calls.append(offset)
            if len(calls) > 1:
                _die()
            return real(fd, data, offset)

        seg.os.pwrite = pwrite
    else:
        raise SystemExit(f"unknown point {point}")
    SignatureStore.open(path).tombstone(sha, reason="court order (crash test)", operator="crash")
    print("finished", flush=True)  # never reached: the process dies at POINT


if __name__ == "__main__":
    main()
