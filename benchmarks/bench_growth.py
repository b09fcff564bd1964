"""A million submissions in PostgreSQL: how long the Stats page's query and History's pages (the first, one
in the middle, the last; all, and only the mistakes) take, and how much memory fine-tuning's reading of them
needs. Starts a throwaway PostgreSQL (devtools/postgres_cluster.py) unless --postgres-url names a
server whose user may create databases.

    python benchmarks/bench_growth.py [--count 1000000]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "devtools"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_finetune_memory import MEASURE, fill  # noqa: E402
from postgres_cluster import ThrowawayCluster, create_database, drop_database, server_binaries  # noqa: E402

from digitrec.adapters.sql.engine import create_sql_engine
from digitrec.adapters.sql.repository import SqlSubmissionRepository  # noqa: E402
from digitrec.domain.submitting import history_page, live_stats  # noqa: E402


def timed(call, repeats: int = 7) -> float:
    """Median milliseconds of `call()` over `repeats` runs, after one to warm the caches."""
    call()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(1000 * (time.perf_counter() - start))
    return statistics.median(times)


def measure(url: str, count: int) -> None:
    started = time.perf_counter()
    fill(url, count)
    print(f"filled in {time.perf_counter() - started:.0f} s")
    engine = create_sql_engine(url, 60)
    # What autovacuum does to a table that grew: statistics, and the visibility map index-only scans need.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("VACUUM ANALYZE submissions")
    repo = SqlSubmissionRepository(engine)
    print("| query (median of 7) | time |")
    print("| --- | --- |")
    print(f"| Stats page: per-version and confusion counts | {timed(lambda: live_stats(repo)):.1f} ms |")
    for mistakes in (False, True):
        pages = history_page(repo, 1, 10, mistakes_only=mistakes).pages
        for name, number in (("first", 1), ("middle", pages // 2), ("last", pages)):
            ms = timed(lambda n=number, m=mistakes: history_page(repo, n, 10, mistakes_only=m))
            which = "only mistakes" if mistakes else "all"
            print(f"| History, {which}: {name} page ({number:,} of {pages:,}) | {ms:.1f} ms |")
    engine.dispose()
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, url, "training_inputs"], capture_output=True, text=True
    )
    r = json.loads(done.stdout.strip().splitlines()[-1])
    print(
        f"| fine-tuning's reading of {r['rows']:,} submissions | {r['seconds']:.0f} s, peak RSS "
        f"{r['max_rss_mb']:,.0f} MB (tracemalloc {r['tracemalloc_peak_mb']:,.0f} MB) |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--postgres-url", help="an admin URL of a server to use instead of a throwaway one")
    args = parser.parse_args()
    if args.postgres_url:
        url = create_database(args.postgres_url, "digitrec_growth")
        try:
            measure(url, args.count)
        finally:
            drop_database(args.postgres_url, "digitrec_growth")
        return
    with ThrowawayCluster(server_binaries()) as admin:
        measure(create_database(admin, "digitrec_growth"), args.count)


if __name__ == "__main__":
    main()
