"""Latency of one prediction of a 280x280 RGBA canvas (preprocessing + forward pass) on the CPU, and the
throughput of batched evaluation.

    python benchmarks/bench_predict.py                  # the shipped model
    python benchmarks/bench_predict.py --model models/VERSION.pt
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np
import torch

from digitrec.adapters.torch.classifier import TorchClassifier
from digitrec.adapters.torch.model import shipped_model_path
from digitrec.domain.preprocessing import preprocess_canvas
from digitrec.domain.recognition import recognise


def stroke_canvas(rng: np.random.Generator) -> np.ndarray:
    """A 280x280 RGBA canvas as streamlit-drawable-canvas returns it: white strokes, transparent elsewhere."""
    yy, xx = np.mgrid[0:280, 0:280]
    alpha = np.zeros((280, 280), np.uint8)
    points = rng.uniform(50, 230, size=(4, 2))
    for (y0, x0), (y1, x1) in zip(points, points[1:], strict=False):
        t = np.clip(((yy - y0) * (y1 - y0) + (xx - x0) * (x1 - x0)) / ((y1 - y0) ** 2 + (x1 - x0) ** 2), 0, 1)
        near = np.hypot(yy - (y0 + t * (y1 - y0)), xx - (x0 + t * (x1 - x0))) < 10
        alpha[near] = 255
    return np.dstack([np.full_like(alpha, 255)] * 3 + [alpha])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--repeats", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: all cores)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    classifier = TorchClassifier(args.model or shipped_model_path())
    rng = np.random.default_rng(0)
    canvases = [stroke_canvas(rng) for _ in range(64)]

    for canvas in canvases[:20]:  # warm-up
        recognise(classifier, canvas)
    latencies, pre = [], []
    for i in range(args.repeats):
        canvas = canvases[i % len(canvases)]
        start = time.perf_counter()
        preprocess_canvas(canvas)
        middle = time.perf_counter()
        recognise(classifier, canvas)
        end = time.perf_counter()
        pre.append(middle - start)
        latencies.append(end - middle)
    ms = sorted(1000 * t for t in latencies)
    print(f"model {classifier.info.version}, torch {torch.__version__}, {torch.get_num_threads()} threads")
    print(f"one 280x280 RGBA canvas, preprocessing + forward, {args.repeats} runs:")
    print(
        f"  median {statistics.median(ms):.3f} ms   p99 {ms[int(0.99 * len(ms)) - 1]:.3f} ms   "
        f"(preprocessing alone: median {1000 * statistics.median(pre):.3f} ms)"
    )

    inputs = np.stack([preprocess_canvas(c) for c in canvases])
    batch = np.concatenate([inputs] * 16)  # 1024 preprocessed images
    classifier.predict_batch(batch[:256])
    start = time.perf_counter()
    for _ in range(5):
        classifier.predict_batch(batch)
    forward = 5 * len(batch) / (time.perf_counter() - start)
    start = time.perf_counter()
    for canvas in canvases * 4:
        preprocess_canvas(canvas)
    preprocessing = 4 * len(canvases) / (time.perf_counter() - start)
    print(
        f"batched evaluation: forward {forward:,.0f} images/s; with preprocessing of each canvas "
        f"{1 / (1 / forward + 1 / preprocessing):,.0f} images/s"
    )


if __name__ == "__main__":
    main()
