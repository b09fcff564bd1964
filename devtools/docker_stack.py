"""What the container test needs and no registry gives here: a Docker engine of its own (`dockerd` as root,
its data, socket and state in a temporary folder, no bridge, no iptables), and base images bootstrapped with
debootstrap from the Debian mirror this machine's apt already uses, imported with `docker import`."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

HOST_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")


def missing_tools() -> list[str]:
    return [
        tool for tool in ("dockerd", "docker", "docker-compose", "debootstrap") if shutil.which(tool) is None
    ]


def debian_mirror_and_suite() -> tuple[str, str]:
    """The mirror and release apt uses here (deb822 sources or sources.list), e.g. (http://deb.debian.org/debian,
    bookworm)."""
    suite = re.search(r"^VERSION_CODENAME=(\S+)", Path("/etc/os-release").read_text(), re.M).group(1)
    sources = [*Path("/etc/apt/sources.list.d").glob("*.sources"), Path("/etc/apt/sources.list")]
    for source in sources:
        text = source.read_text() if source.is_file() else ""
        for found in re.finditer(r"^URIs:\s*(\S+)|^deb\s+(?:\[[^]]*\]\s+)?(\S+)\s+(\S+)", text, re.M):
            uri = found.group(1) or found.group(2)
            if "security" not in uri and (found.group(3) in (None, suite)):
                return uri, suite
    return "http://deb.debian.org/debian", suite


@contextmanager
def docker_engine() -> Iterator[dict[str, str]]:
    """dockerd on a socket of its own, stopped (and its state removed) afterwards: the environment that points
    docker and docker-compose at it. Its folder has a short path: containerd's sockets live in it, and a
    socket's path has at most 107 characters."""
    folder = Path(tempfile.mkdtemp(prefix="digitrec-docker-", dir="/tmp"))
    socket = folder / "docker.sock"
    command = [
        "dockerd",
        f"--data-root={folder / 'data'}",
        f"--exec-root={folder / 'exec'}",
        f"--pidfile={folder / 'docker.pid'}",
        f"--host=unix://{socket}",
        "--bridge=none",
        "--iptables=false",
        "--ip-masq=false",
    ]
    log = (folder / "dockerd.log").open("wb")
    daemon = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    environment = {**os.environ, "DOCKER_HOST": f"unix://{socket}"}
    try:
        deadline = time.monotonic() + 60
        while subprocess.run(["docker", "info"], env=environment, capture_output=True).returncode != 0:
            if daemon.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"dockerd did not start: {(folder / 'dockerd.log').read_text()[-2000:]}")
            time.sleep(0.5)
        yield environment
    finally:
        daemon.terminate()
        try:
            daemon.wait(timeout=60)
        except subprocess.TimeoutExpired:
            daemon.kill()
            daemon.wait()
        log.close()
        unmount_under(folder)
        subprocess.run(["rm", "-rf", str(folder)], check=False)


def unmount_under(folder: Path) -> None:
    """What dockerd left mounted in `folder` (its network namespace, overlays), innermost first."""
    mounts = [line.split()[1] for line in Path("/proc/self/mounts").read_text().splitlines()]
    for point in sorted((m for m in mounts if m.startswith(f"{folder}/")), reverse=True):
        subprocess.run(["umount", "--lazy", point], check=False, capture_output=True)


def image_size(environment: dict[str, str], image: str) -> int:
    """The image's size in bytes, as `docker image ls` counts it."""
    inspect = ["docker", "image", "inspect", "--format", "{{.Size}}", image]
    return int(subprocess.run(inspect, env=environment, capture_output=True, text=True, check=True).stdout)


def debian_python_image(environment: dict[str, str], folder: Path, tag: str) -> str:
    """A Debian base with Python 3 and venv, from debootstrap, imported as `tag`. It trusts what this machine
    trusts (its CA bundle, for pip behind this network's TLS proxy, if there is one)."""
    mirror, suite = debian_mirror_and_suite()
    rootfs = folder / "rootfs"
    include = "python3,python3-venv,ca-certificates"
    bootstrap = ["debootstrap", "--variant=minbase", f"--include={include}", suite, str(rootfs), mirror]
    subprocess.run(bootstrap, check=True, capture_output=True, timeout=900)
    if HOST_CA_BUNDLE.is_file():
        shutil.copy(HOST_CA_BUNDLE, rootfs / "etc/ssl/certs/ca-certificates.crt")
    (rootfs / "etc/pip.conf").write_text("[global]\ncert = /etc/ssl/certs/ca-certificates.crt\n")
    archive = folder / "rootfs.tar"
    subprocess.run(["tar", "--numeric-owner", "-C", str(rootfs), "-cf", str(archive), "."], check=True)
    subprocess.run(["rm", "-rf", str(rootfs)], check=True)
    subprocess.run(["docker", "import", str(archive), tag], env=environment, check=True, capture_output=True)
    archive.unlink()
    return tag
