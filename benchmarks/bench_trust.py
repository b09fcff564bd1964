"""Can the model be trusted on drawings it never saw? Accuracy per set and per digit, how many real digits it
refuses as "not a digit", how many non-digits it refuses, calibration (expected calibration error), and
the ROC curve of the verdict, on held-out folders (labels.csv + images, as `digitrec evaluate` reads them).

    python benchmarks/bench_trust.py heldout/fonts heldout/scan8 heldout/scan16bin \\
        heldout/scan16grey stroke-test canvas-test --non-digits heldout/nondigits \\
        [--model PATH] [--plots plots] [--json out.json]

Digit folders are scored one by one; the ROC curve takes every digit of every folder as positives and the
non-digit folders' images as negatives, scored by the model's not-a-digit probability. Plots: ROC and a
reliability diagram per set, in --plots.
"""

from __future__ import annotations

import argparse
import csv
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from digitrec.adapters.files.labelled_folder import LABELS_FILE, read_labelled_folder
from digitrec.adapters.torch.calibration import not_a_digit_probability
from digitrec.adapters.torch.classifier import TorchClassifier
from digitrec.adapters.torch.model import shipped_model_path
from digitrec.domain.confidence import area_under, expected_calibration_error, roc_curve
from digitrec.domain.preprocessing import preprocess_canvas
from digitrec.domain.types.errors import DigitrecError


def model_inputs(folder: Path) -> tuple[np.ndarray, np.ndarray]:
    """Every usable image of the folder, preprocessed, and its label (-1: not a digit)."""
    images, labels, _ = named_inputs(folder)
    return images, labels


def named_inputs(folder: Path) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """`model_inputs`, and the file name of each image kept."""
    items, _ = read_labelled_folder(folder)
    images, labels, names = [], [], []
    for item in items:
        try:
            images.append(preprocess_canvas(item.load()))
        except DigitrecError:
            continue
        labels.append(-1 if item.label is None else item.label)
        names.append(item.name)
    return np.stack(images), np.array(labels), names


def tally(folder: Path, names: list[str], hits: np.ndarray, group: Callable[[dict], str | None]) -> dict:
    """{group: (hits, n)} over the images `names` of `folder`, grouped by `group(row of labels.csv)`; empty
    when `group` gives None (the folder lacks the columns it reads)."""
    with (folder / LABELS_FILE).open(newline="", encoding="utf-8-sig") as f:
        rows = {row["file"]: row for row in csv.DictReader(f)}
    counts: dict[str, list[int]] = {}
    for name, hit in zip(names, hits, strict=True):
        if (key := group(rows[name])) is None:
            return {}
        counts.setdefault(key, [0, 0])
        counts[key][0] += int(hit)
        counts[key][1] += 1
    return {key: (hit, n) for key, (hit, n) in sorted(counts.items())}


def kind(row: dict) -> str | None:
    """A non-digit's kind (labels.csv's `kind`); a doodle's is what it shows (`source`: smiley, cloud...)."""
    if not row.get("kind"):
        return None
    return f"doodle: {row.get('source')}" if row["kind"] == "doodle" else row["kind"]


def style(row: dict) -> str | None:
    """A digit's way of writing and its form (the styles set's `style` and `form`)."""
    return f"{row['style']} / {row['form']}" if row.get("style") and row.get("form") else None


@torch.inference_mode()
def outputs(classifier: TorchClassifier, images: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(calibrated digit probabilities, not-a-digit probability, refused) for every image, from one forward
    pass turned into predictions by the classifier's own verdict."""
    logits = classifier.model(torch.from_numpy(images)[:, None])
    predictions = classifier.verdict.predictions(logits)
    digits = np.array([p.probabilities for p in predictions])
    refused = np.array([not p.is_digit for p in predictions])
    return digits, not_a_digit_probability(logits.double().numpy()), refused


def score_digits(name: str, probabilities: np.ndarray, labels: np.ndarray, refused: np.ndarray) -> dict:
    predicted = probabilities.argmax(1)
    correct = predicted == labels
    return {
        "set": name,
        "n": len(labels),
        "accuracy": float(correct.mean()),
        "per_digit": {d: float(correct[labels == d].mean()) for d in range(10) if (labels == d).any()},
        "refused": float(refused.mean()),
        "ece": expected_calibration_error(probabilities.max(1), correct),
        "confident_mistakes": int(((probabilities.max(1) > 0.9) & ~correct).sum()),
        "errors": {
            f"{t}->{p}": int(n)
            for (t, p), n in zip(
                *np.unique(np.stack([labels[~correct], predicted[~correct]], 1), axis=0, return_counts=True),
                strict=True,
            )
        }
        if (~correct).any()
        else {},
    }


def plot(results: list[dict], curves: dict, roc: list, auroc: float, out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(5.5, 5))
    ax.plot([p[0] for p in roc], [p[1] for p in roc], label=f"AUROC {auroc:.4f}")
    ax.set(
        xlabel="non-digits accepted (false positive rate)",
        ylabel="digits accepted (true positive rate)",
        title="not-a-digit verdict on held-out drawings",
        xscale="log",
        xlim=(1e-3, 1),
    )
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(out / "heldout-roc.png", dpi=100)
    fig, ax = plt.subplots(figsize=(5.5, 5))
    ax.plot([0, 1], [0, 1], ":", color="grey")
    for result in results:
        conf, correct = curves[result["set"]]
        edges = np.linspace(0, 1, 11)
        which = np.minimum((conf * 10).astype(int), 9)
        xs = [conf[which == b].mean() for b in range(10) if (which == b).sum() >= 10]
        ys = [correct[which == b].mean() for b in range(10) if (which == b).sum() >= 10]
        ax.plot(xs, ys, "o-", ms=3, label=f"{result['set']} (ECE {100 * result['ece']:.1f}%)")
    ax.set(
        xlabel="confidence", ylabel="accuracy", title="reliability on held-out drawings", xlim=(edges[0], 1)
    )
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out / "heldout-reliability.png", dpi=100)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("folders", nargs="+", type=Path)
    parser.add_argument("--non-digits", nargs="*", type=Path, default=[])
    parser.add_argument("--model", type=Path, default=shipped_model_path())
    parser.add_argument("--plots", type=Path)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    classifier = TorchClassifier(args.model)
    print(
        f"model {classifier.info.version}: temperature {classifier.verdict.temperature:.3f}, "
        f"threshold {classifier.verdict.reject_threshold}"
    )
    results, curves, digit_scores = [], {}, []
    for folder in args.folders:
        images, labels, names = named_inputs(folder)
        probabilities, reject, refused = outputs(classifier, images)
        result = score_digits(folder.name, probabilities, labels, refused)
        results.append(result)
        curves[folder.name] = (probabilities.max(1), probabilities.argmax(1) == labels)
        digit_scores.append(reject)
        per_digit = " ".join(f"{d}:{100 * a:.1f}" for d, a in result["per_digit"].items())
        print(
            f"{folder.name:14} n={result['n']:5d}  acc {100 * result['accuracy']:6.2f}%  refused "
            f"{100 * result['refused']:5.2f}%  ECE {100 * result['ece']:4.2f}%  >90% wrong "
            f"{result['confident_mistakes']:3d}  | {per_digit}"
        )
        top = sorted(result["errors"].items(), key=lambda kv: -kv[1])[:8]
        print(f"{'':14} most common errors: {', '.join(f'{k} x{v}' for k, v in top)}")
        if styles := tally(folder, names, probabilities.argmax(1) == labels, style):
            result["styles"] = styles
            counts = ", ".join(f"{key} {hit}/{n}" for key, (hit, n) in styles.items())
            print(f"{'':14} read per style: {counts}")
    report = {"model": classifier.info.version, "digit_sets": results}
    if args.non_digits:
        inputs = [named_inputs(f) for f in args.non_digits]
        scored = [outputs(classifier, images) for images, _, _ in inputs]
        negatives = np.concatenate([reject for _, reject, _ in scored])
        refused = np.concatenate([refused for _, _, refused in scored])
        positives = np.concatenate(digit_scores)
        roc = roc_curve(1 - positives, 1 - negatives)
        auroc = area_under(roc)
        report |= {"non_digits": len(negatives), "non_digits_refused": float(refused.mean()), "auroc": auroc}
        print(
            f"non-digits     n={len(negatives):5d}  refused {100 * refused.mean():.2f}%   AUROC (all digit "
            f"sets vs non-digits) {auroc:.4f}"
        )
        for folder, (_, _, names), (_, _, no) in zip(args.non_digits, inputs, scored, strict=True):
            if kinds := tally(folder, names, no, kind):
                report.setdefault("non_digit_kinds", {})[folder.name] = kinds
                counts = ", ".join(f"{kind} {r}/{n}" for kind, (r, n) in kinds.items())
                print(f"{'':14} refused per kind: {counts}")
        if args.plots:
            plot(results, curves, roc, auroc, args.plots)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
