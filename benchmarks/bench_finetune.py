"""Proof that fine-tuning on submissions works: a few hundred drawings in a style the base model handles badly
(digits drawn sideways, a quarter-turn clockwise, as on a tablet held in landscape), then `finetune`.

The drawings are made from MNIST's validation split (never trained on, and not the test set), put on a
280x280 canvas like the app's (random size, position, brush; see canvas_testset.py), rotated, and stored as
submissions with the base model's prediction. Then the live model is fine-tuned through the same use case as
`digitrec finetune`, and the held-out submissions (by id hash), the MNIST test set and the canvas set are
scored before and after; last, whether `models promote` would make the new version live.

    python benchmarks/bench_finetune.py --data-dir ../shared/mnist
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

import numpy as np
import torch

from digitrec.adapters.drawing.canvas_drawings import canvas_drawing
from digitrec.adapters.files.image_codec import encode_png
from digitrec.adapters.torch.mnist import load_mnist
from digitrec.adapters.torch.training_data import SPLIT_SEED
from digitrec.containers import Container
from digitrec.domain.learning import finetune_model
from digitrec.domain.model_versions import promotion_problems
from digitrec.domain.ports import Classifier, SubmissionRepository
from digitrec.domain.recognition import recognise
from digitrec.domain.types.submissions import Submission
from digitrec.domain.types.training import FineTuneConfig


def sideways_drawings(data_dir: Path, count: int, seed: int) -> list[tuple[np.ndarray, int]]:
    """`count` canvases (uint8, 280x280) of validation digits drawn a quarter-turn clockwise, with labels."""
    mnist = load_mnist(data_dir, download=False)
    validation = torch.randperm(len(mnist.train_images), generator=torch.Generator().manual_seed(SPLIT_SEED))[
        :5000
    ]
    rng = np.random.default_rng(seed)
    chosen = validation[torch.from_numpy(rng.permutation(len(validation))[:count])]
    drawings = []
    for index in chosen.tolist():
        canvas = np.asarray(
            canvas_drawing(mnist.train_images[index].numpy(), "white-on-black", rng).convert("L")
        )
        drawings.append((np.ascontiguousarray(np.rot90(canvas, -1)), int(mnist.train_labels[index])))
    return drawings


def submit_all(repo: SubmissionRepository, classifier: Classifier, drawings) -> None:
    for canvas, label in drawings:
        recognition = recognise(classifier, canvas)
        repo.add(
            Submission(
                encode_png(canvas),
                recognition.model_input,
                recognition.prediction,
                label,
                classifier.info.version,
            )
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", type=Path, default=Path(os.environ.get("DIGITREC_DATA_DIR", "data")))
    parser.add_argument("--count", type=int, default=400, help="sideways drawings to submit")
    parser.add_argument("--epochs", type=int, default=FineTuneConfig.epochs)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--lr", type=float, default=FineTuneConfig.lr)
    parser.add_argument("--submission-share", type=float, default=FineTuneConfig.submission_share)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as workdir:
        container = Container()
        container.config.from_dict(
            {
                "data_dir": str(args.data_dir),
                "models_dir": workdir,
                "download": False,
                "progress": False,
                "database_url": "memory://",
            }
        )
        repo, registry = container.submissions(), container.models()
        submit_all(repo, container.classifier(), sideways_drawings(args.data_dir, args.count, args.seed))
        config = FineTuneConfig(
            epochs=args.epochs, seed=args.seed, lr=args.lr, submission_share=args.submission_share
        )
        live = registry.live()
        result, _ = finetune_model(
            container.trainer(),
            container.plotter(),
            registry,
            repo,
            config,
            Path(tempfile.mkdtemp(prefix="digitrec-plots-")),
            on_epoch=lambda m: print(
                f"  epoch {m.epoch}: {m.seconds:6.1f}s  MNIST test {100 * m.test_accuracy:.2f}%", flush=True
            ),
        )
        problems = promotion_problems(registry.get(result.run.version), live)
    used, heldout = result.submissions_used, result.heldout
    before, after = result.heldout_before, result.heldout_after
    print(f"{args.count} sideways drawings submitted: {used} trained on, {heldout} held out")
    print(f"held-out sideways drawings: {100 * before:.1f}% -> {100 * after:.1f}%")
    print(
        f"MNIST test:                 {100 * result.test_before:.2f}% -> "
        f"{100 * result.run.test_accuracy:.2f}%"
    )
    canvas = (result.canvas_before, result.canvas_after)
    print("canvas set:                 {:.2f}% -> {:.2f}%".format(*(100 * a for a in canvas)))
    print("models promote would", f"refuse it: {'; '.join(problems)}" if problems else "accept it")
    print(f"fine-tuning took {result.run.seconds:.0f} s ({config.epochs} epochs)")


if __name__ == "__main__":
    main()
