"""Latency of "Inside the model" for one drawing on the CPU: `explain()` (a forward pass keeping each stage's
feature maps, and a backward pass for the saliency) on a preprocessed 280x280 canvas, then the pictures the
Draw page makes of it (feature grids, saliency overlay, enlarged). The page's budget is 100 ms.

    python benchmarks/bench_explain.py                  # the shipped model
    python benchmarks/bench_explain.py --model models/VERSION.pt --repeats 1000
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

from digitrec.adapters.torch.classifier import TorchClassifier
from digitrec.adapters.torch.model import shipped_model_path
from digitrec.domain.preprocessing import preprocess_canvas
from digitrec.domain.types.explanations import saliency_overlay
from digitrec.entrypoints.webapp.components.inside_model import IMAGE_SCALE, enlarged, stage_picture

sys.path.insert(0, str(Path(__file__).parent))
from bench_predict import stroke_canvas  # noqa: E402


def pictures(explanation) -> list[np.ndarray]:
    """What the Draw page shows of an explanation, as arrays (Streamlit's PNG encoding not included)."""
    overlay = saliency_overlay(explanation.model_input, explanation.saliency)
    return [
        enlarged(explanation.model_input, IMAGE_SCALE),
        enlarged(overlay, IMAGE_SCALE),
        *(stage_picture(stage) for stage in explanation.stages),
    ]


def summary(seconds: list[float]) -> str:
    ms = sorted(1000 * t for t in seconds)
    p95 = ms[int(0.95 * len(ms)) - 1]
    return f"median {statistics.median(ms):.3f} ms   p95 {p95:.3f} ms   max {ms[-1]:.3f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--repeats", type=int, default=500)
    args = parser.parse_args()
    classifier = TorchClassifier(args.model or shipped_model_path())
    model_input = preprocess_canvas(stroke_canvas(np.random.default_rng(0)))

    for _ in range(20):  # warm-up
        pictures(classifier.explain(model_input))
    predict, explain, drawn = [], [], []
    for _ in range(args.repeats):
        start = time.perf_counter()
        classifier.predict(model_input)
        middle = time.perf_counter()
        explanation = classifier.explain(model_input)
        end = time.perf_counter()
        pictures(explanation)
        predict.append(middle - start)
        explain.append(end - middle)
        drawn.append(time.perf_counter() - middle)
    print(f"model {classifier.info.version}, torch {torch.__version__}, {torch.get_num_threads()} threads")
    print(f"one preprocessed 280x280 canvas, {args.repeats} runs each:")
    print(f"  predict()                     {summary(predict)}")
    print(f"  explain()                     {summary(explain)}")
    print(f"  explain() and the pictures    {summary(drawn)}")
    print(
        f"  stages: {', '.join(s.name for s in explanation.stages)}; top three "
        + ", ".join(f"{digit} {100 * p:.1f}%" for digit, p in explanation.top(3))
    )


if __name__ == "__main__":
    main()
