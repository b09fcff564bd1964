"""Serving on torch against serving on ONNX Runtime, side by side: what the install weighs, what the app's
process holds in memory, how long a fresh process takes to its first prediction, and how long one canvas
takes (preprocessing plus prediction plus the verdict). Each runtime is measured in a fresh process; the
ONNX one cannot import torch at all.

    python benchmarks/bench_serving.py [--runs 2000]
"""

from __future__ import annotations

import argparse
import importlib.metadata as metadata
import json
import subprocess
import sys

# Torch and what it pulls in (its CUDA libraries come with the registry's build); ONNX Runtime alone.
TORCH_DISTRIBUTIONS = ("torch", "torchvision", "triton", "nvidia-", "cuda-", "sympy", "networkx", "mpmath")
ONNX_DISTRIBUTIONS = ("onnxruntime",)

MEASURE = """
import json, resource, statistics, sys, time
started = time.perf_counter()
runtime, runs = sys.argv[1], int(sys.argv[2])
if runtime == "onnx":
    sys.modules.update(torch=None, torchvision=None)
import numpy as np
from digitrec.containers import Container
from digitrec.domain.recognition import recognise
container = Container()
container.config.from_dict({"runtime": runtime, "models_dir": "/nonexistent-models", "database_url": "memory://"})
classifier = container.classifier()
canvas = np.zeros((280, 280, 4), np.uint8)
canvas[..., 3] = 255
canvas[60:220, 130:152, :3] = 255
recognise(classifier, canvas)
cold = time.perf_counter() - started
times = []
for _ in range(runs):
    t = time.perf_counter()
    recognise(classifier, canvas)
    times.append(1000 * (time.perf_counter() - t))
times.sort()
print(json.dumps({
    "cold_s": cold, "median_ms": statistics.median(times), "p99_ms": times[int(0.99 * len(times)) - 1],
    "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "torch_loaded": sys.modules.get("torch") is not None,
}))
"""


def installed_mb(prefixes: tuple[str, ...]) -> float:
    total = 0
    for dist in metadata.distributions():
        name = (dist.metadata["Name"] or "").lower()
        if any(name == p or (p.endswith("-") and name.startswith(p)) for p in prefixes):
            total += sum(f.size or 0 for f in dist.files or [])
    return total / 1e6


def measure(runtime: str, runs: int) -> dict:
    start_wall = __import__("time").perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, runtime, str(runs)], capture_output=True, text=True, check=True
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["process_s"] = __import__("time").perf_counter() - start_wall
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=2000)
    args = parser.parse_args()
    sizes = {"torch": installed_mb(TORCH_DISTRIBUTIONS), "onnx": installed_mb(ONNX_DISTRIBUTIONS)}
    print("| | torch | ONNX Runtime |")
    print("| --- | --- | --- |")
    results = {runtime: measure(runtime, args.runs) for runtime in ("torch", "onnx")}
    torch, onnx = results["torch"], results["onnx"]
    print(
        f"| install (the runtime and what it pulls in) | {sizes['torch']:,.0f} MB | {sizes['onnx']:,.0f} MB |"
    )
    print(
        f"| app process memory (peak RSS, model loaded, {args.runs} canvases) "
        f"| {torch['max_rss_mb']:.0f} MB | {onnx['max_rss_mb']:.0f} MB |"
    )
    print(
        f"| cold start to the first prediction (imports, model, one canvas) "
        f"| {torch['cold_s']:.2f} s | {onnx['cold_s']:.2f} s |"
    )
    print(f"| one canvas: median | {torch['median_ms']:.2f} ms | {onnx['median_ms']:.2f} ms |")
    print(f"| one canvas: p99 | {torch['p99_ms']:.2f} ms | {onnx['p99_ms']:.2f} ms |")
    print(f"(torch imported in the ONNX process: {onnx['torch_loaded']})")


if __name__ == "__main__":
    main()
