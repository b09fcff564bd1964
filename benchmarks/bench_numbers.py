"""Numbers: how exactly a model reads a folder of numbers (by length and by the narrowest gap, from
labels.csv's length and gap columns, as number_testset.py writes them), and how long segmentation plus
prediction takes for one 5-digit canvas.

    python benchmarks/number_testset.py --data-dir ../shared/mnist --out heldout-final/numbers --seed 7
    python benchmarks/bench_numbers.py heldout-final/numbers
"""

from __future__ import annotations

import argparse
import csv
import statistics
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
from PIL import Image

from digitrec.containers import Container
from digitrec.domain.numbers import read_number, score_numbers


def accuracy_table(classifier, folder: Path) -> None:
    rows = list(csv.DictReader((folder / "labels.csv").open(newline="")))
    cells: dict[tuple[str, str], list[bool]] = defaultdict(list)
    pairs = []
    for row in rows:
        read = read_number(classifier, np.asarray(Image.open(folder / row["file"]))).number
        pairs.append((row["number"], read))
        cells[(row["length"], row["gap"])].append(read == row["number"])
    score = score_numbers(pairs)
    print(
        f"{folder}: {score.n} numbers, exact {100 * score.accuracy:.2f}%, "
        f"per digit {100 * score.digit_accuracy:.2f}%"
    )
    lengths, gaps = (
        sorted({k for k, _ in cells}, key=int),
        sorted({g for _, g in cells}, key=lambda g: int(g.split("-")[0])),
    )
    print("| digits | " + " | ".join(f"gap {g} px" for g in gaps) + " | all |")
    print("|---" * (len(gaps) + 2) + "|")
    for length in lengths:
        row = [cells[(length, g)] for g in gaps]
        everything = [hit for cell in row for hit in cell]
        print(
            f"| {length} | "
            + " | ".join(f"{100 * np.mean(c):.1f}%" for c in row)
            + f" | {100 * np.mean(everything):.1f}% |"
        )
    per_gap = [[hit for (_, g), cell in cells.items() if g == gap for hit in cell] for gap in gaps]
    print(
        "| all | "
        + " | ".join(f"{100 * np.mean(c):.1f}%" for c in per_gap)
        + f" | {100 * score.accuracy:.1f}% |"
    )


def timing(classifier, folder: Path, runs: int) -> None:
    rows = [r for r in csv.DictReader((folder / "labels.csv").open(newline="")) if r["length"] == "5"]
    number = Image.open(folder / rows[0]["file"]).convert("L")
    number.thumbnail((680, 260))  # onto the Number page's 700x280 canvas, as the browser sends it (RGBA)
    canvas = Image.new("L", (700, 280))
    canvas.paste(number, (10, 10))
    image = np.dstack([np.asarray(canvas)] * 3 + [np.full((280, 700), 255, np.uint8)])
    read_number(classifier, image)  # warm up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        read_number(classifier, image)
        times.append(1000 * (time.perf_counter() - start))
    print(
        f"one 5-digit canvas ({image.shape[1]}x{image.shape[0]} RGBA), segmentation + one batch of 5: "
        f"median {statistics.median(times):.2f} ms, p95 {np.percentile(times, 95):.2f} ms ({runs} runs)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("folder", type=Path)
    parser.add_argument("--runs", type=int, default=500)
    args = parser.parse_args()
    container = Container()
    container.config.from_dict({"database_url": "memory://"})  # the shipped model, no database file
    classifier = container.classifier()
    accuracy_table(classifier, args.folder)
    timing(classifier, args.folder, args.runs)


if __name__ == "__main__":
    main()
