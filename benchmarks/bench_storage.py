"""Submissions per second into SQLite and PostgreSQL, with one writer and with 8 at once, each `add` its own
transaction (as the app does), durably committed (default settings: fsync on).

    python benchmarks/bench_storage.py               # SQLite, and a throwaway PostgreSQL cluster
    python benchmarks/bench_storage.py --processes   # writers are processes, not threads
    python benchmarks/bench_storage.py --postgres-url postgresql+psycopg://user:pw@host/db   # your server

Writers are threads of one process by default (the app serves its sessions in threads); --processes makes
them separate processes, like several app instances. The throwaway cluster needs Debian's postgresql (see
devtools/postgres_cluster.py); with --postgres-url a database is created and dropped on that
server, so its user needs CREATEDB.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
import time
import uuid
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "devtools"))
from postgres_cluster import ThrowawayCluster, create_database, drop_database, server_binaries  # noqa: E402

from digitrec.adapters.files.image_codec import decode_image, encode_png  # noqa: E402
from digitrec.adapters.sql.engine import create_sql_engine
from digitrec.adapters.sql.repository import SqlSubmissionRepository  # noqa: E402
from digitrec.adapters.sql.schema import upgrade_database  # noqa: E402
from digitrec.domain.preprocessing import preprocess_canvas  # noqa: E402
from digitrec.domain.types.predictions import Prediction  # noqa: E402
from digitrec.domain.types.submissions import Submission  # noqa: E402


def drawing_submission(rng: np.random.Generator) -> Submission:
    """What the app stores for one drawing: a 280x280 RGBA canvas with a few anti-aliased strokes 20 px wide,
    white on black, and its 28x28 model input."""
    yy, xx = np.mgrid[0:280, 0:280].astype(np.float32)
    distance = np.full((280, 280), np.inf, np.float32)
    points = rng.uniform(50, 230, size=(4, 2))
    for (y0, x0), (y1, x1) in zip(points, points[1:], strict=False):
        t = np.clip(((yy - y0) * (y1 - y0) + (xx - x0) * (x1 - x0)) / ((y1 - y0) ** 2 + (x1 - x0) ** 2), 0, 1)
        distance = np.minimum(distance, np.hypot(yy - (y0 + t * (y1 - y0)), xx - (x0 + t * (x1 - x0))))
    ink = (np.clip(10.5 - distance, 0, 1) * 255).astype(np.uint8)
    png = encode_png(np.dstack([ink, ink, ink, np.full_like(ink, 255)]))
    return Submission(
        image_png=png,
        model_input=preprocess_canvas(decode_image(png)),
        prediction=Prediction.from_probabilities(rng.dirichlet(np.ones(10))),
        label=int(rng.integers(10)),
        model_version="digitnet-bench",
    )


_repositories: dict[str, SqlSubmissionRepository] = {}


def write_all(url: str, batch: list[Submission]) -> int:
    """Add every submission, one transaction each, through this process's engine for `url`. An empty batch
    only connects (a warm-up)."""
    if url not in _repositories:
        _repositories.setdefault(url, SqlSubmissionRepository(create_sql_engine(url)))
    repo = _repositories[url]
    if not batch:
        repo.count()
    for submission in batch:
        repo.add(submission)
    return len(batch)


def measure(url: str, submissions: list[Submission], writers: int, pool: Executor) -> float:
    """Submissions per second for `writers` writing all of `submissions` at once into a fresh database."""
    engine = create_sql_engine(url)
    upgrade_database(engine)
    list(pool.map(write_all, [url] * writers, [[]] * writers))  # warm up: workers and engines exist
    batches = [submissions[i::writers] for i in range(writers)]
    started = time.perf_counter()
    written = sum(pool.map(write_all, [url] * writers, batches))
    seconds = time.perf_counter() - started
    repo = SqlSubmissionRepository(engine)
    assert written == repo.count() == len(submissions), "a submission went missing"
    stats_started = time.perf_counter()
    repo.stats()
    stats_ms = 1000 * (time.perf_counter() - stats_started)
    print(f"  {written / seconds:,.0f} submissions/s; stats query over {written} rows: {stats_ms:.1f} ms")
    engine.dispose()
    return written / seconds


@contextlib.contextmanager
def postgres_server(url: str | None):
    if url:
        yield url
        return
    binaries = server_binaries()
    if binaries is None:
        sys.exit("PostgreSQL server binaries not found: apt-get install postgresql, or pass --postgres-url")
    with ThrowawayCluster(binaries) as admin_url:
        yield admin_url


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--submissions", type=int, default=1600, help="per measurement (default 1600)")
    parser.add_argument("--writers", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--processes", action="store_true", help="writers are processes, not threads")
    parser.add_argument("--postgres-url", help="a PostgreSQL server to use instead of a throwaway one")
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    submissions = [drawing_submission(rng) for _ in range(args.submissions)]
    average_png = sum(len(s.image_png) for s in submissions) / len(submissions)
    kind = "processes" if args.processes else "threads"
    print(f"{args.submissions} submissions a run, PNGs of {average_png / 1000:.1f} kB on average, {kind}")
    results = []
    with tempfile.TemporaryDirectory() as folder, postgres_server(args.postgres_url) as server:
        for writers in args.writers:
            pool_type = ProcessPoolExecutor if args.processes else ThreadPoolExecutor
            with pool_type(max_workers=writers) as pool:
                sqlite_url = f"sqlite:///{folder}/bench-{writers}.db"
                print(f"sqlite, {writers} writer(s)")
                results.append(("SQLite (WAL)", writers, measure(sqlite_url, submissions, writers, pool)))
                name = f"digitrec_bench_{uuid.uuid4().hex[:8]}"
                print(f"postgresql, {writers} writer(s)")
                try:
                    url = create_database(server, name)
                    results.append(("PostgreSQL", writers, measure(url, submissions, writers, pool)))
                finally:
                    pool.shutdown()
                    drop_database(server, name)
    print(f"\n| backend | writers ({kind}) | submissions/s |\n| --- | --- | --- |")
    for backend, writers, rate in results:
        print(f"| {backend} | {writers} | {rate:,.0f} |")


if __name__ == "__main__":
    main()
