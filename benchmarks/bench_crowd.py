"""Can the crowd teach digitrec wrong? Simulated visitors send drawings, some with wrong labels, then the
same use case as `digitrec finetune` runs (trust check included) and the promotion guard decides.

The writers: 80 simulated writers, each drawing every digit twice: 1, 4, 7 and 9 in a way of their own
(flagged 1s, open 4s, crossed 7s, hooked 9s: the synthetic styles of pen_drawing.py, drawn anew), the other
digits from MNIST's validation split (never trained on, not the test set); each drawing stretched to fill a
16x16 box and binarised (as paper forms are scanned), then put on the 280x280 canvas: the kind of writing
the shipped model reads worst. Writers 0-39 are the crowd (one visitor id each); writers 40-79 are the
"other writers" every scenario is scored on. An operator adds 1,000 drawings of their own (100 a digit, in
the writers' ways): the trusted hold-out is a fifth of those. No set here is reported elsewhere.

Scenarios (--scenarios picks some):
- true: every label true;
- random10/25/40: that share of the crowd's labels replaced by another digit at random;
- one-visitor: one visitor sends 79 drawings of 7 labelled 1, and 15% of the rest get a random wrong label;
- many-ids: the same 79 drawings, each from a fresh visitor id (a per-visitor cap cannot see that);
- many-ids-unchecked: the same, fine-tuned without the trust check (as if it had been fooled): what the
  per-digit promotion guard sees on the trusted hold-out;
- new-style: 4s written mirrored (a way of writing the model reads badly) sent, correctly labelled, by the
  40 crowd visitors, twice each; scored on the other writers' mirrored 4s.

For each: the other writers' accuracy before and after, overall and per digit (the attacked 7s), MNIST
test, the guard's decision, precision and recall of the held-back labels against the truly wrong ones, and
the seconds from the start of fine-tuning (trust check included) to a registered candidate.

    python benchmarks/bench_crowd.py --data-dir ../shared/mnist [--scenarios true,one-visitor]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from heldout_testsets import scan16bin
from pen_drawing import HAND_STYLES, draw_strokes, jittered

from digitrec.adapters.files.image_codec import encode_png
from digitrec.adapters.model_registry import classifier_at
from digitrec.adapters.torch.mnist import load_mnist
from digitrec.adapters.torch.training_data import SPLIT_SEED
from digitrec.containers import Container
from digitrec.domain.learning import finetune_model
from digitrec.domain.model_versions import promotion_problems
from digitrec.domain.preprocessing import preprocess_canvas
from digitrec.domain.types.submissions import HELD_BACK, Submission
from digitrec.domain.types.training import FineTuneConfig

WRITERS, CROWD = 80, 40  # writers 0-39 send, 40-79 are scored
ATTACK = 79  # drawings of 7 labelled 1
OWN_PER_DIGIT = 100  # the operator's own drawings of each digit (a fifth of them is the trusted hold-out)
SCENARIOS = (
    "true", "random10", "random25", "random40", "one-visitor", "many-ids", "many-ids-unchecked", "new-style"
)  # fmt: skip


CONTINENTAL = {  # the ways of writing 1, 4, 7 and 9 a writer may have (pen_drawing.HAND_STYLES)
    1: ("1 flag and base", "1 long flag", "1 slanted with flag"),
    4: ("4 open", "4 open with long bar", "4 closed"),
    7: ("7 crossed", "7 hooked top", "7 crossed"),
    9: ("9 hooked tail", "9 curled tail", "9 looped tail", "9 curved stem"),
}


def population(data_dir: Path, seed: int):
    """(inputs (N, 28, 28), labels, writer of each) of the writers, plus the operator's (inputs, labels),
    spare 7s (in the writers' ways) for an attack and mirrored 4s for a new style.

    Each writer writes 1, 4, 7 and 9 in a way of their own chosen from CONTINENTAL (drawn from strokes with
    an unsteady hand), the other digits as MNIST validation digits; every drawing is stretched to fill a
    16x16 box and binarised (as paper forms are scanned), then put on the canvas."""
    mnist = load_mnist(data_dir, download=False)
    order = torch.randperm(len(mnist.train_images), generator=torch.Generator().manual_seed(SPLIT_SEED))
    validation = order[:5000].numpy()  # the validation split training keeps apart
    images, labels = mnist.train_images.numpy(), mnist.train_labels.numpy()
    rng = np.random.default_rng(seed)
    by_digit = {d: list(rng.permutation(validation[labels[validation] == d])) for d in range(10)}
    hands = [
        {d: styles[rng.integers(len(styles))] for d, styles in CONTINENTAL.items()} for _ in range(WRITERS)
    ]

    def written(digit: int, hand: dict | None, n: int, mirrored: bool = False) -> np.ndarray:
        if hand is not None and digit in hand:
            strokes = jittered(HAND_STYLES[hand[digit]][1], rng)
            height = rng.uniform(120, 250)
            ink = draw_strokes(strokes, height, min(rng.uniform(10, 28), height / 6), rng, max_tilt=12)
        else:
            ink = images[by_digit[digit].pop()]
        ink = np.ascontiguousarray(ink[:, ::-1] if mirrored else ink)
        return preprocess_canvas(scan16bin(ink, rng, n)[0])

    rows = [(w, d) for w in range(WRITERS) for d in range(10) for _ in range(2)]
    writers = (
        np.stack([written(d, hands[w], n) for n, (w, d) in enumerate(rows)]),
        np.array([d for _, d in rows]),
        np.array([w for w, _ in rows]),
    )
    own = [(d, hands[int(rng.integers(WRITERS))]) for d in range(10) for _ in range(OWN_PER_DIGIT)]
    operator = (
        np.stack([written(d, hand, n) for n, (d, hand) in enumerate(own)]),
        np.array([d for d, _ in own]),
    )
    sevens = np.stack([written(7, hands[n % WRITERS], n) for n in range(ATTACK)])
    fours = np.stack([written(4, None, n, mirrored=True) for n in range(2 * WRITERS)])
    return writers, operator, sevens, fours


def accuracy(classifier, images: np.ndarray, labels: np.ndarray) -> tuple[float, list[float]]:
    predicted = np.array([p.digit for p in classifier.predict_batch(images)])
    right = predicted == labels
    return float(right.mean()), [float(right[labels == d].mean()) for d in range(10)]


def crowd_rows(scenario: str, writers, sevens, fours, rng: np.random.Generator):
    """(inputs, sent labels, true labels, visitor ids) the crowd sends in `scenario`."""
    images, labels, writer = writers
    mine = writer < CROWD
    x, y, who = images[mine], labels[mine].copy(), [f"writer{w:02d}" for w in writer[mine]]
    truth = y.copy()
    careless = {"random10": 0.10, "random25": 0.25, "random40": 0.40, "one-visitor": 0.15}
    careless |= {"many-ids": 0.15, "many-ids-unchecked": 0.15}
    if share := careless.get(scenario):
        flip = rng.random(len(y)) < share
        y[flip] = (y[flip] + rng.integers(1, 10, flip.sum())) % 10
    if scenario in ("one-visitor", "many-ids", "many-ids-unchecked"):
        x = np.concatenate([x, sevens])
        y, truth = np.concatenate([y, np.ones(ATTACK, int)]), np.concatenate([truth, np.full(ATTACK, 7)])
        who += (
            ["attacker"] * ATTACK if scenario == "one-visitor" else [f"fresh{n:03d}" for n in range(ATTACK)]
        )
    if scenario == "new-style":
        x, y = np.concatenate([x, fours[: 2 * CROWD]]), np.concatenate([y, np.full(2 * CROWD, 4)])
        truth = np.concatenate([truth, np.full(2 * CROWD, 4)])
        who += [f"writer{n // 2:02d}" for n in range(2 * CROWD)]
    return x, y, truth, who


def run(scenario: str, args, writers, operator, sevens, fours) -> dict:
    rng = np.random.default_rng(args.seed + SCENARIOS.index(scenario))
    png = encode_png(np.zeros((28, 28), np.uint8))
    with tempfile.TemporaryDirectory() as workdir:
        container = Container()
        container.config.from_dict(
            {"data_dir": str(args.data_dir), "models_dir": workdir, "download": False, "progress": False,
             "database_url": "memory://"}
        )  # fmt: skip
        repo, registry, classifier = container.submissions(), container.models(), container.classifier()
        live = registry.live()
        x, y, truth, who = crowd_rows(scenario, writers, sevens, fours, rng)
        all_x, all_y = np.concatenate([x, operator[0]]), np.concatenate([y, operator[1]])
        senders = who + [None] * len(operator[1])
        predictions = classifier.predict_batch(all_x)
        for image, label, sender, prediction in zip(all_x, all_y, senders, predictions, strict=True):
            repo.add(Submission(png, image, prediction, int(label), live.version, visitor=sender,
                                reviewed=sender is None))  # fmt: skip
        others = writers[2] >= CROWD
        scored = (writers[0][others], writers[1][others])
        before, before_digits = accuracy(classifier, *scored)
        style_before = accuracy(classifier, fours[2 * CROWD :], np.full(2 * (WRITERS - CROWD), 4))[0]
        config = FineTuneConfig(
            seed=args.seed,
            epochs=args.epochs,
            mnist_limit=args.mnist_limit,
            trust_check=not (args.no_trust_check or scenario.endswith("-unchecked")),
            mnist_per_epoch=args.mnist_per_epoch,
            submission_share=args.submission_share,
        )
        started = time.perf_counter()
        result, _ = finetune_model(container.trainer(), container.plotter(), registry, repo, config,
                                   Path(workdir) / "plots")  # fmt: skip
        seconds = time.perf_counter() - started
        candidate = registry.get(result.run.version)
        problems = promotion_problems(candidate, live)
        model = classifier_at(Path(candidate.location), "torch")
        after, after_digits = accuracy(model, *scored)
        style_after = accuracy(model, fours[2 * CROWD :], np.full(2 * (WRITERS - CROWD), 4))[0]
        crowd = [s for s in repo.oldest_after(0, len(all_y)) if s.visitor is not None]
        held = np.array([s.trust is not None and s.trust.decision == HELD_BACK for s in crowd])
        wrong = y != truth
    found = (held & wrong).sum()
    return {
        "scenario": scenario,
        "wrong labels": f"{100 * wrong.mean():.1f}%",
        "other writers": f"{100 * before:.1f} -> {100 * after:.1f}%",
        "their 7s": f"{100 * before_digits[7]:.1f} -> {100 * after_digits[7]:.1f}%",
        "worst digit after": f"{int(np.argmin(after_digits))}: {100 * min(after_digits):.1f}%",
        "mirrored 4s": f"{100 * style_before:.1f} -> {100 * style_after:.1f}%",
        "MNIST test": f"{100 * result.test_before:.2f} -> {100 * result.run.test_accuracy:.2f}%",
        "hold-out 7s": hold_out_sevens(candidate.per_digit),
        "guard": "refuses: " + "; ".join(problems) if problems else "accepts",
        "held back": f"{held.sum()} (precision {found / max(held.sum(), 1):.2f}, recall "
        f"{found / max(wrong.sum(), 1):.2f})",
        "trust": result.trust.counts() if result.trust else {},
        "seconds": f"{seconds:.0f}",
    }


def hold_out_sevens(per_digit: dict | None) -> str:
    table = (per_digit or {}).get("trusted hold-out")
    if not table:
        return "-"
    return f"{100 * table['before'][7]:.0f} -> {100 * table['after'][7]:.0f}% of {table['n'][7]}"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", type=Path, default=Path(os.environ.get("DIGITREC_DATA_DIR", "data")))
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--epochs", type=int, default=FineTuneConfig.epochs)
    parser.add_argument("--mnist-limit", type=int, default=FineTuneConfig.mnist_limit)
    parser.add_argument("--mnist-per-epoch", type=int, default=FineTuneConfig.mnist_per_epoch)
    parser.add_argument("--submission-share", type=float, default=FineTuneConfig.submission_share)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--no-trust-check", action="store_true", help="train on every label as sent (what the check prevents)"
    )
    args = parser.parse_args()
    unknown = set(args.scenarios.split(",")) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenarios {sorted(unknown)}; choose from {', '.join(SCENARIOS)}")
    data = population(args.data_dir, args.seed)
    for scenario in args.scenarios.split(","):
        outcome = run(scenario, args, *data)
        print(" | ".join(f"{k}: {v}" for k, v in outcome.items()), flush=True)


if __name__ == "__main__":
    main()
