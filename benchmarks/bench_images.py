"""Build both images of the Dockerfile and try each: build time, size, and a first command in each.

    sudo .venv/bin/python benchmarks/bench_images.py [--targets serving training]

Like tests/e2e/test_containers.py it needs root and makes everything itself: its own dockerd, a Debian base
bootstrapped with debootstrap from the mirror apt uses (no image registry is reachable here). The training
image installs torch from PyPI (the CUDA build): several GB, several minutes."""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "devtools"))

from docker_stack import debian_python_image, docker_engine, image_size  # noqa: E402

# A first command in each image: the serving one has no torch; the training one runs a worker once.
SMOKE = {
    "serving": [
        "python3",
        "-c",
        "import importlib.util as u; print('torch installed:', bool(u.find_spec('torch')))",
    ],
    "training": ["digitrec", "worker", "--once", "--database-url", "sqlite:////tmp/worker.db"],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--targets", nargs="+", default=["serving", "training"], choices=sorted(SMOKE))
    args = parser.parse_args()
    with docker_engine() as environment, tempfile.TemporaryDirectory() as folder:
        started = time.monotonic()
        base = debian_python_image(environment, Path(folder), "digitrec-bench/debian-python")
        size = image_size(environment, base) / 1e6
        print(f"debootstrapped base: {time.monotonic() - started:.0f} s, {size:,.0f} MB")
        for target in args.targets:
            tag = f"digitrec-{target}"
            started = time.monotonic()
            build = ["docker", "build", "--network", "host", "--target", target, "-t", tag, str(REPO)]
            build += ["--build-arg", f"PYTHON_IMAGE={base}"]
            subprocess.run(build, env=environment, check=True, capture_output=True)
            seconds = time.monotonic() - started
            print(f"{tag}: built in {seconds:.0f} s, {image_size(environment, tag) / 1e6:,.0f} MB")
            smoke = ["docker", "run", "--rm", "--network", "host", tag, *SMOKE[target]]
            ran = subprocess.run(smoke, env=environment, capture_output=True, text=True)
            print(f"  {' '.join(SMOKE[target])} -> exit {ran.returncode}: {ran.stdout.strip()[-200:]}")


if __name__ == "__main__":
    main()
