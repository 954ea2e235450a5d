"""Leave-one-out retrieval of 2-D images through the real store and search path.

The 40 Fadul scans rendered as oblique-light images under a light the 2-D
model was never trained with (``eval_2d.EVAL_LIGHT``: azimuth 135 degrees,
elevation 35 degrees), each searched against a store of the other 39, exactly
as ``ballistics bench retrieval`` does for a folder of scans (the rendered
images exist only in memory, so they cannot be handed to that command as
files). Prints recall@1 and mAP@20 and writes
``benchmarks/results/store/fadul_rendered_2d_ranks.csv``.

    python benchmarks/retrieval_2d.py [--executor dask]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import RESULTS, SHARED_DATA, ground_truth  # noqa: E402
from eval_2d import EVAL_LIGHT  # noqa: E402

from ballistics_core.engine import make_signature  # noqa: E402
from ballistics_core.io import read_scan  # noqa: E402
from ballistics_core.preprocess.render import render_oblique  # noqa: E402
from ballistics_core.search.bench import retrieval, retrieval_summary  # noqa: E402
from ballistics_core.store import SignatureStore  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--executor", default="local", choices=["local", "dask"])
    ap.add_argument("--top", type=int, default=20)
    ap.add_argument("--out", default=str(RESULTS / "store" / "fadul_rendered_2d_ranks.csv"))
    args = ap.parse_args()
    gt = ground_truth()
    files = sorted(f for f in gt if f.startswith("fadul/"))
    sigs = {Path(f).stem: make_signature(render_oblique(read_scan(SHARED_DATA / f), **EVAL_LIGHT)) for f in files}
    truth = {Path(f).stem: gt[f]["firearm"] for f in files}
    cases = {Path(f).stem: gt[f]["scan_id"] for f in files}
    with tempfile.TemporaryDirectory() as tmp:
        st = SignatureStore.create_for(Path(tmp) / "store", next(iter(sigs.values())))
        st.add(sigs.values())
        rows = retrieval(st, sigs, Path(args.out), top=args.top, rescore=10, executor=args.executor, cases=cases)
    m = retrieval_summary(rows, sigs, truth, cases, top=args.top)
    print(f"recall@1 {m['recall_at_1']:.3f} ({m['recall_hits']}/{m['queries_with_a_mate']} queries with a mate)")
    print(f"mAP@{args.top} {m['map']:.3f} over {m['queries_with_several_mates']} queries with several mates "
          f"(lowest {m['lowest_ap']:.3f}: {m['lowest_ap_query']})")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
