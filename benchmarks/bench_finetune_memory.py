"""How much memory fine-tuning's reading of the submissions takes: every submission as a `Submission` (with
its PNG, as `finetune` read them before) against `training_inputs`, which pages through the inputs, labels
and statuses only. Fills a database with COUNT app-like submissions first (a canvas PNG of a few kB, the
28x28 input, probabilities), then measures each way in a fresh process (peak RSS, and tracemalloc's peak).

    python benchmarks/bench_finetune_memory.py --count 200000 [--database-url sqlite:///big.db]
"""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

MEASURE = """
import json, resource, sys, time, tracemalloc
from digitrec.adapters.sql.repository import SqlSubmissionRepository
from digitrec.adapters.sql.engine import create_sql_engine
import numpy as np
from digitrec.domain.learning import is_heldout, training_inputs
from digitrec.domain.transfer import submissions_in_order
repo = SqlSubmissionRepository(create_sql_engine(sys.argv[1]))
tracemalloc.start()
started = time.perf_counter()
if sys.argv[2] == "every submission":
    everything = list(submissions_in_order(repo))  # as finetune read them before: PNGs and all
    train = np.stack([s.model_input for s in everything if not is_heldout(s.id, 20)])
    heldout = np.stack([s.model_input for s in everything if is_heldout(s.id, 20)])
else:
    train, heldout, negatives = training_inputs(repo, 20)
seconds = time.perf_counter() - started
print(json.dumps({"rows": len(train) + len(heldout), "seconds": seconds,
                  "tracemalloc_peak_mb": tracemalloc.get_traced_memory()[1] / 1e6,
                  "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def canvas_pngs(count: int, rng: np.random.Generator) -> list[bytes]:
    """Canvases as the app stores them: a few white strokes on a 280x280 RGBA canvas."""
    pngs = []
    for _ in range(count):
        image = Image.new("RGBA", (280, 280), (0, 0, 0, 255))
        pen = ImageDraw.Draw(image)
        points = [tuple(int(v) for v in rng.integers(40, 240, 2)) for _ in range(6)]
        pen.line(points, fill=(255, 255, 255, 255), width=20, joint="curve")
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        pngs.append(buffer.getvalue())
    return pngs


def fill(url: str, count: int) -> None:
    from sqlalchemy import func, insert, select
    from sqlalchemy.engine import make_url

    from digitrec.adapters.sql.engine import create_sql_engine
    from digitrec.adapters.sql.schema import upgrade_database
    from digitrec.adapters.sql.tables import submissions

    engine = create_sql_engine(url, 60)
    upgrade_database(engine)
    with engine.connect() as connection:
        present = connection.execute(select(func.count()).select_from(submissions)).scalar_one()
    rng = np.random.default_rng(0)
    pngs = canvas_pngs(50, rng)
    inputs = [rng.random((28, 28), dtype=np.float32).astype("<f4").tobytes() for _ in range(50)]
    probabilities = [0.01] * 9 + [0.91]
    now = datetime.now(UTC)
    for start in range(present, count, 5000):
        rows = [
            {
                "created_at": now, "label": n % 10, "predicted": 9, "probabilities": probabilities,
                "model_version": "bench", "image_png": pngs[n % 50], "model_input": inputs[n % 50],
                "image_sha256": f"{n:064x}", "status": "excluded" if n % 50 == 0 else "ok",
            }
            for n in range(start, min(start + 5000, count))
        ]  # fmt: skip
        with engine.begin() as connection:
            connection.execute(insert(submissions), rows)
    with engine.begin() as connection:  # rows inserted in bulk, past the repository: count them once here
        connection.exec_driver_sql("DELETE FROM submission_counts")
        connection.exec_driver_sql(
            "INSERT INTO submission_counts (model_version, label, predicted, n) SELECT model_version, label, "
            "predicted, count(*) FROM submissions GROUP BY model_version, label, predicted"
        )
    engine.dispose()
    where = make_url(url).render_as_string(hide_password=True)
    print(f"{count:,} submissions in {where} (canvas PNGs of {np.mean([len(p) for p in pngs]) / 1e3:.1f} kB)")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=200_000)
    parser.add_argument("--database-url", help="default: a SQLite file in a temporary folder")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'big.db'}"
        started = time.perf_counter()
        fill(url, args.count)
        print(f"filled in {time.perf_counter() - started:.0f} s")
        print("| reading | rows | seconds | tracemalloc peak | peak RSS |")
        print("| --- | --- | --- | --- | --- |")
        for way in ("every submission", "training_inputs"):
            done = subprocess.run(
                [sys.executable, "-c", MEASURE, url, way], capture_output=True, text=True, check=True
            )
            r = json.loads(done.stdout.strip().splitlines()[-1])
            print(
                f"| {way} | {r['rows']:,} | {r['seconds']:.1f} | {r['tracemalloc_peak_mb']:,.0f} MB "
                f"| {r['max_rss_mb']:,.0f} MB |"
            )


if __name__ == "__main__":
    main()
