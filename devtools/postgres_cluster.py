"""A throwaway PostgreSQL server for tests and benchmarks: `initdb` into a temporary folder, `pg_ctl start` on
a free loopback port, a fresh database per test, everything deleted at the end.

Uses Debian's server binaries (`apt-get install postgresql`: /usr/lib/postgresql/<version>/bin), or the folder
named by DIGITREC_POSTGRES_BIN. The server refuses to run as root, so as root it runs as the `postgres` user
(through runuser). Only 127.0.0.1 is listened on, and a random password is required. A watchdog process
stops the server and deletes its folder when the process that started it dies without cleaning up (a test
run killed with SIGKILL or by a timeout), so no server outlives its test run.
"""

from __future__ import annotations

import glob
import os
import secrets
import shlex
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

FAST_SETTINGS = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}  # tests only


def server_binaries() -> Path | None:
    """The folder holding initdb and pg_ctl, newest version first; None when PostgreSQL is not installed."""
    named = os.environ.get("DIGITREC_POSTGRES_BIN")
    candidates = [named] if named else sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    for folder in map(Path, candidates):
        if (folder / "initdb").is_file() and (folder / "pg_ctl").is_file():
            return folder
    return None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ThrowawayCluster:
    """`with ThrowawayCluster(bin_dir) as admin_url:` a running server; stopped and deleted on exit.
    `stop()` and `start()` in between take it down and bring it back on the same port, with its data."""

    def __init__(self, bin_dir: Path, settings: dict[str, str] | None = None) -> None:
        self.bin_dir, self.settings = bin_dir, settings or {}
        self.folder = Path(tempfile.mkdtemp(prefix="digitrec-postgres-"))
        self.data = self.folder / "data"
        self.port = free_port()
        self.password = secrets.token_hex(16)

    def command(self, tool: str, *args: str) -> list[str]:
        as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        return [*as_postgres, str(self.bin_dir / tool), *args]

    def run(self, tool: str, *args: str) -> None:
        command = self.command(tool, *args)
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=self.folder)
        if done.returncode != 0:
            log = self.folder / "server.log"
            server_log = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(f"{' '.join(command)} failed:\n{done.stdout}{done.stderr}{server_log}")

    def __enter__(self) -> str:
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
        password_file = self.folder / "password"
        password_file.write_text(self.password)
        if os.geteuid() == 0:
            shutil.chown(password_file, "postgres", "postgres")
        password_file.chmod(0o600)
        try:
            self.run(
                "initdb", "-D", str(self.data), "-U", "postgres", "--pwfile", str(password_file),
                "--auth", "scram-sha-256", "-E", "UTF8", "--locale", "C", "--no-sync",
            )  # fmt: skip
            self.watchdog = self.start_watchdog()
            self.start()
        except BaseException:
            if hasattr(self, "watchdog"):
                self.watchdog.kill()
            shutil.rmtree(self.folder, ignore_errors=True)
            raise
        return f"postgresql+psycopg://postgres:{self.password}@127.0.0.1:{self.port}/postgres"

    def start_watchdog(self) -> subprocess.Popen:
        """A process, in a session of its own, that cleans up once this process is gone."""
        stop = shlex.join(self.command("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop"))
        script = (
            f'while kill -0 {os.getpid()} 2>/dev/null; do sleep 1; done; {stop} >/dev/null 2>&1; rm -rf "$0"'
        )
        return subprocess.Popen(
            ["sh", "-c", script, str(self.folder)],
            start_new_session=True,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def start(self) -> None:
        options = {
            "listen_addresses": "127.0.0.1",
            "port": str(self.port),
            "unix_socket_directories": str(self.folder),
            **self.settings,
        }
        server_options = " ".join(f"-c {name}={value}" for name, value in options.items())
        log = str(self.folder / "server.log")
        self.run("pg_ctl", "-D", str(self.data), "-l", log, "-o", server_options, "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        self.run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def __exit__(self, *exc_info: object) -> None:
        try:
            self.stop("immediate")
        finally:
            self.watchdog.kill()
            self.watchdog.wait()
            shutil.rmtree(self.folder, ignore_errors=True)


def libpq_url(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def create_database(admin_url: str, name: str) -> str:
    """Create database `name` on the server of `admin_url`; return its SQLAlchemy URL."""
    with psycopg.connect(libpq_url(admin_url), autocommit=True) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def drop_database(admin_url: str, name: str) -> None:
    with psycopg.connect(libpq_url(admin_url), autocommit=True) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
