"""The throwaway PostgreSQL server of the tests cleans up after a test run that is killed."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

DEVTOOLS = Path(__file__).resolve().parents[2] / "devtools"
START_AND_HANG = """
import sys, time
sys.path.insert(0, sys.argv[1])
from pathlib import Path
from postgres_cluster import ThrowawayCluster
cluster = ThrowawayCluster(Path(sys.argv[2]))
cluster.__enter__()
print(cluster.port, cluster.folder, flush=True)
time.sleep(600)
"""


def accepts_connections(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_a_killed_test_run_leaves_no_server_or_folder_behind(postgres_binaries):
    run = subprocess.Popen(
        [sys.executable, "-c", START_AND_HANG, str(DEVTOOLS), str(postgres_binaries)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        port, folder = run.stdout.readline().split()
        assert accepts_connections(int(port)) and Path(folder, "data").is_dir()
    finally:
        run.kill()  # SIGKILL: no finaliser, no __exit__
        run.wait()
        run.stdout.close()

    deadline = time.monotonic() + 60
    while (accepts_connections(int(port)) or Path(folder).exists()) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not accepts_connections(int(port))
    assert not Path(folder).exists()
