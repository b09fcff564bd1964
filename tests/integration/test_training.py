"""A short real training run on a slice of MNIST, and what it leaves behind."""

import dataclasses
import json
import os
import pickle
import re

import numpy as np
import pytest
import torch

import digitrec.adapters.torch.canvas_cache as canvas_cache
import digitrec.adapters.torch.trainer as torch_trainer
import digitrec.adapters.torch.training_loop as training_loop
import digitrec.domain.types.training as training
from digitrec.adapters.torch.augment import TRAINING, Augmentation, augment_batch, change_thickness
from digitrec.adapters.torch.classifier import TorchClassifier
from digitrec.adapters.torch.mnist import load_mnist
from digitrec.adapters.torch.model import build_model, load_checkpoint
from digitrec.adapters.torch.trainer import TorchTrainer
from digitrec.adapters.torch.training_data import Mixture, MnistSplits, load_splits
from digitrec.domain.curves import kept_epoch
from digitrec.domain.types.errors import DatasetNotFound, ModelNotFound
from digitrec.domain.types.training import TrainConfig

SMALL = TrainConfig(epochs=2, batch_size=64, lr=0.05, widths=(8, 16, 32), seed=3, threads=1)


def train_small(mnist_dir, models_dir, config=SMALL, limit=1500):
    trainer = TorchTrainer(mnist_dir, models_dir, download=False, progress=False)
    trainer.train_limit = limit
    trainer.drawn_count = (600, 200)  # synthetic digits and non-digits: a few, to keep the test short
    epochs = []
    run = trainer.train(config, on_epoch=epochs.append)
    return run, epochs


@pytest.fixture(scope="module")
def small_run(mnist_dir, tmp_path_factory):
    return train_small(mnist_dir, tmp_path_factory.mktemp("models"))


def test_a_short_run_learns_and_reports_every_epoch(small_run):
    run, epochs = small_run
    assert [m.epoch for m in epochs] == [1, 2]
    assert epochs[0].seconds < epochs[1].seconds
    assert epochs[1].train_loss < epochs[0].train_loss
    assert run.test_accuracy > 0.80  # 1500 images, two epochs: far above chance (0.10)
    assert sum(map(sum, run.confusion)) == 10_000
    assert sum(run.confusion[d][d] for d in range(10)) / 10_000 == pytest.approx(run.test_accuracy, abs=1e-4)


def test_the_kept_weights_are_those_of_the_epoch_kept_epoch_names(small_run):
    run, _ = small_run
    assert run.best_epoch == kept_epoch(run.history)
    assert run.test_accuracy == run.history[run.best_epoch - 1].test_accuracy


def test_a_run_whose_validation_loss_ends_well_above_its_lowest_saves_the_lowest_epochs_weights(
    mnist_dir, tmp_path, monkeypatch
):
    """The validation loss is made to jump after the first epoch (as in a run gone wrong); the test
    accuracy of the saved weights shows that they are the first epoch's."""
    measured, jumps = training_loop.measure, iter([0.01, 0.5])

    def measure(*args):
        metrics, test_predicted = measured(*args)
        return dataclasses.replace(metrics, val_loss=next(jumps)), test_predicted

    monkeypatch.setattr(training_loop, "measure", measure)
    run, epochs = train_small(mnist_dir, tmp_path / "models", limit=600)
    assert run.best_epoch == 1 and len(epochs) == 2
    assert run.test_accuracy == epochs[0].test_accuracy != epochs[1].test_accuracy
    payload = load_checkpoint(run.checkpoint_path)
    model = build_model(payload["architecture"])
    model.load_state_dict(payload["state_dict"])
    mnist = load_mnist(mnist_dir, download=False)
    # measured as training measures (bf16 autocast where the CPU has it), so the same weights read the same
    images = mnist.test_images.float()[:, None] / 255
    _, accuracy, _ = training_loop.evaluate(model, images, mnist.test_labels)
    assert accuracy == pytest.approx(epochs[0].test_accuracy, abs=2e-4)


def test_the_checkpoint_holds_what_a_reader_needs(small_run, mnist_dir):
    run, _ = small_run
    payload = load_checkpoint(run.checkpoint_path)
    assert payload["version"] == run.version
    assert payload["architecture"] == {
        "name": "DigitNet",
        "kwargs": {
            "widths": [8, 16, 32],
            "dropout": 0.1,
            "classes": 11,
            "keep_edges": True,
            "strided_stem": True,
        },
    }
    assert payload["train_config"]["seed"] == 3
    assert payload["metrics"]["test_accuracy"] == run.test_accuracy
    assert len(payload["metrics"]["history"]) == 2
    assert payload["code_version"]
    sums = dict(reversed(line.split()) for line in (mnist_dir / "SHA256SUMS").read_text().splitlines())
    assert payload["data_sha256"] == {name: sums[name] for name in payload["data_sha256"]}
    assert len(payload["data_sha256"]) == 4


def test_the_classifier_round_trip_gives_the_trained_accuracy(small_run, mnist_dir):
    run, _ = small_run
    classifier = TorchClassifier(run.checkpoint_path)
    mnist = load_mnist(mnist_dir, download=False)
    images = mnist.test_images.numpy().astype(np.float32) / 255
    predictions = classifier.predict_batch(images)
    accuracy = np.mean([p.digit for p in predictions] == mnist.test_labels.numpy())
    assert accuracy == pytest.approx(run.test_accuracy, abs=1e-3)
    assert classifier.info.version == run.version
    one = classifier.predict(images[0])
    assert one.digit == predictions[0].digit
    assert one.probabilities == pytest.approx(predictions[0].probabilities, abs=1e-5)
    assert sum(one.probabilities) == pytest.approx(1.0)


def test_a_fixed_seed_on_cpu_gives_the_same_model(mnist_dir, tmp_path):
    config = TrainConfig(**(SMALL.__dict__ | {"epochs": 1}))
    first, _ = train_small(mnist_dir, tmp_path / "a", config, limit=600)
    second, _ = train_small(mnist_dir, tmp_path / "b", config, limit=600)
    a, b = (
        load_checkpoint(first.checkpoint_path)["state_dict"],
        load_checkpoint(second.checkpoint_path)["state_dict"],
    )
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert first.history[0].train_loss == second.history[0].train_loss


@pytest.fixture
def test_size_networks(monkeypatch):
    """The networks a run with `widths=None` chooses between, shrunk to test size, and the wider one chosen
    whenever one of its epochs fits the budget."""
    monkeypatch.setattr(training, "NETWORK_WIDTHS", ((4, 8, 16), SMALL.widths))
    monkeypatch.setattr(training, "WIDER_MIN_EPOCHS", 1)
    monkeypatch.setattr(torch_trainer, "WIDER_MIN_EPOCHS", 1)  # what its log says


def test_a_run_left_to_choose_measures_the_wider_networks_pace_and_trains_exactly_what_it_would_if_told(
    mnist_dir, tmp_path, test_size_networks, caplog
):
    """Measuring the pace trains a throwaway network on a few batches; the random state is forked around
    it, so the run that follows starts from, and draws, what a run given the same widths does."""
    once = {"epochs": 1, "time_budget": 510.0}
    with caplog.at_level("INFO"):
        chosen, _ = train_small(
            mnist_dir, tmp_path / "auto", TrainConfig(**(SMALL.__dict__ | once | {"widths": None}))
        )
    told, _ = train_small(mnist_dir, tmp_path / "told", TrainConfig(**(SMALL.__dict__ | once)))
    a, b = (load_checkpoint(run.checkpoint_path) for run in (chosen, told))
    assert a["architecture"] == b["architecture"]
    assert a["architecture"]["kwargs"]["widths"] == [8, 16, 32]
    assert a["train_config"]["widths"] == [8, 16, 32]  # what was trained, not None
    assert all(torch.equal(a["state_dict"][k], b["state_dict"][k]) for k in b["state_dict"])
    assert re.search(
        r"an epoch of DigitNet\(8, 16, 32\) would take about \d+\.\d s here: 1 of them about \d+ s, within "
        r"the time budget of 510 s",
        caplog.text,
    )
    assert "network: DigitNet(8, 16, 32) (the widest whose epochs fit; pass --widths 8,16,32" in caplog.text


def test_a_machine_too_slow_for_the_wider_network_trains_the_narrower(
    mnist_dir, tmp_path, test_size_networks, monkeypatch, caplog
):
    monkeypatch.setattr(torch_trainer, "epoch_seconds", lambda *args, **kwargs: 600.0)  # over any budget
    config = TrainConfig(**(SMALL.__dict__ | {"epochs": 1, "time_budget": 510.0, "widths": None}))
    with caplog.at_level("INFO"):
        run, _ = train_small(mnist_dir, tmp_path / "models", config, limit=300)
    assert load_checkpoint(run.checkpoint_path)["architecture"]["kwargs"]["widths"] == [4, 8, 16]
    assert "600.0 s here: 1 of them about 600 s, more than the time budget of 510 s" in caplog.text


def test_without_a_time_budget_a_run_left_to_choose_trains_the_narrower_network_without_measuring(
    mnist_dir, tmp_path, test_size_networks, monkeypatch, caplog
):
    def unexpected(*args, **kwargs):
        raise AssertionError("the pace was measured, but nothing depended on it")

    monkeypatch.setattr(torch_trainer, "epoch_seconds", unexpected)
    config = TrainConfig(**(SMALL.__dict__ | {"epochs": 1, "time_budget": None, "widths": None}))
    with caplog.at_level("INFO"):
        run, _ = train_small(mnist_dir, tmp_path / "models", config, limit=300)
    assert load_checkpoint(run.checkpoint_path)["train_config"]["widths"] == [4, 8, 16]
    assert "network: DigitNet(4, 8, 16) (no time budget to weigh a wider one against" in caplog.text


def test_the_measured_pace_is_a_real_duration_and_leaves_the_random_state_alone(mnist_dir):
    data = load_splits(mnist_dir, False, 100, torch.device("cpu"), limit=600)
    mixture = Mixture.of(data, [])
    before = torch.get_rng_state()
    seconds = training_loop.epoch_seconds(
        torch_trainer.architecture_for(SMALL, with_verdict=False), mixture, SMALL, augment=True, steps=3
    )
    assert torch.equal(torch.get_rng_state(), before)
    steps = -(-mixture.per_epoch // SMALL.batch_size)
    assert 0 < seconds < 60 * steps  # a small network's step on 64 images takes well under a minute


def test_a_run_whose_first_epoch_overruns_the_time_budget_is_cut_to_the_epochs_that_fit(
    mnist_dir, tmp_path, caplog
):
    config = TrainConfig(**(SMALL.__dict__ | {"epochs": 3, "time_budget": 1e-3}))
    with caplog.at_level("WARNING"):
        run, epochs = train_small(mnist_dir, tmp_path / "models", config, limit=600)
    assert [m.epoch for m in epochs] == [1]  # any real epoch takes longer than a millisecond
    assert run.best_epoch == 1 and len(run.history) == 1
    assert "an epoch, 3 epochs would take about" in caplog.text
    assert "more than the time budget of 0 s: training only 1 of them" in caplog.text


def test_a_run_cut_after_a_slow_first_epoch_grows_back_when_the_pace_picks_up(
    mnist_dir, tmp_path, caplog, monkeypatch
):
    """A clock that makes the first epoch take 3 s and the second 1.5 s: with a budget of 10 s, 4 epochs do
    not fit at first (12 s) and then do (9 s), and the run trains all 4."""
    ends = iter([0.0, 3.0, 4.5, 6.0, 7.5])  # the start, then the end of each epoch

    class Clock:
        @staticmethod
        def perf_counter():
            return next(ends)

    monkeypatch.setattr(training_loop, "time", Clock)
    config = TrainConfig(**(SMALL.__dict__ | {"epochs": 4, "time_budget": 10.0}))
    with caplog.at_level("INFO"):
        run, epochs = train_small(mnist_dir, tmp_path / "models", config, limit=300)
    assert [m.epoch for m in epochs] == [1, 2, 3, 4]
    assert [m.seconds for m in epochs] == [3.0, 4.5, 6.0, 7.5]
    assert "training only 3 of them" in caplog.text
    assert "4 epochs fit in the time budget of 10 s after all: training 4" in caplog.text


def test_missing_data_names_the_flag_and_layout(tmp_path):
    trainer = TorchTrainer(tmp_path / "nowhere", tmp_path / "models", download=False, progress=False)
    with pytest.raises(DatasetNotFound, match=r"--data-dir.*MNIST/raw"):
        trainer.train(SMALL)


@pytest.mark.parametrize(
    ("capability", "hip", "bf16"),
    [
        ((7, 0), None, False),  # Volta
        ((7, 5), None, False),  # Turing
        ((8, 0), None, True),  # Ampere
        ((9, 0), None, True),  # Hopper
        ((9, 4), "6.2", True),  # ROCm (torch reports a capability there too)
    ],
)
def test_gpus_train_in_bf16_only_where_they_run_it_natively(monkeypatch, capability, hip, bf16):
    """Volta and Turing (7.x) have no bf16 arithmetic of their own; Ampere on (8.0+) and ROCm GPUs have."""
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device=None: capability)
    monkeypatch.setattr(torch.version, "hip", hip)
    training_loop.use_bf16.cache_clear()
    try:
        assert training_loop.use_bf16(torch.device("cuda")) is bf16
    finally:
        training_loop.use_bf16.cache_clear()


def test_augmentation_changes_images_but_keeps_range_and_ink():
    g = torch.Generator().manual_seed(0)
    x = torch.zeros(32, 1, 28, 28)
    x[:, :, 6:22, 12:16] = 1.0  # a thick vertical bar, like a "1"
    out = augment_batch(x, g)
    assert out.shape == x.shape
    assert 0.0 <= out.min() and out.max() <= 1.0
    assert not torch.equal(out, x)
    ink = out.sum(dim=(1, 2, 3))
    assert (ink > 0.3 * x[0].sum()).all()  # the digit never vanishes or leaves the frame
    assert len({round(v, 3) for v in ink.tolist()}) > 16  # each image got its own transform


def test_the_thickest_stroke_change_grows_a_stroke_by_one_pixel_each_side_at_most():
    # Two dilations, then a low-resolution scan, left blobs that were no digit any more; the not-a-digit
    # threshold, fitted on such degraded digits, then let more non-digits through (docs/what-works.md).
    dot = torch.zeros(8, 1, 28, 28)
    dot[:, :, 14, 14] = 1.0
    thickest = Augmentation(thickness=(TRAINING.thickness[1], TRAINING.thickness[1]))
    grown = change_thickness(dot, thickest, torch.Generator().manual_seed(0))
    assert torch.equal(grown[:, :, 13:16, 13:16], torch.ones(8, 1, 3, 3))  # one full 3x3 step
    assert grown.sum() == 8 * 9  # and nothing beyond it


def test_a_missing_checkpoint_says_how_to_get_one(tmp_path):
    with pytest.raises(ModelNotFound, match="digitrec train"):
        TorchClassifier(tmp_path / "none.pt")


class RunsCode:
    def __reduce__(self):
        return (os.system, (f"touch {RunsCode.marker}",))


def test_a_pickle_payload_is_refused_without_running_it(tmp_path):
    RunsCode.marker = tmp_path / "pwned"
    evil = tmp_path / "evil.pt"
    torch.save({"format": 1, "payload": RunsCode()}, evil)
    with pytest.raises(ModelNotFound, match="not a usable digitrec checkpoint"):
        load_checkpoint(evil)
    assert not RunsCode.marker.exists()
    pickle.loads(pickle.dumps(0))  # keep the import honest: pickle is what torch.save used


def test_a_truncated_checkpoint_is_refused(small_run, tmp_path):
    run, _ = small_run
    broken = tmp_path / "broken.pt"
    broken.write_bytes(open(run.checkpoint_path, "rb").read()[:1000])
    with pytest.raises(ModelNotFound):
        TorchClassifier(broken)
    json.dumps(load_checkpoint(run.checkpoint_path)["metrics"])  # metrics stay plain JSON-able data


def test_every_checkpoint_gets_an_onnx_twin_that_answers_alike(mnist_dir, tmp_path):
    from digitrec.adapters.onnx.classifier import OnnxClassifier
    from digitrec.adapters.onnx.session import onnx_path

    run, _ = train_small(mnist_dir, tmp_path / "models", TrainConfig(**(SMALL.__dict__ | {"epochs": 1})), 600)
    images = load_mnist(mnist_dir, download=False).test_images[:200].numpy().astype(np.float32) / 255
    by_torch = TorchClassifier(run.checkpoint_path).predict_batch(images)
    twin = OnnxClassifier(onnx_path(run.checkpoint_path))
    by_onnx = twin.predict_batch(images)
    assert twin.info.version == run.version and [p.digit for p in by_onnx] == [p.digit for p in by_torch]
    assert (
        np.abs(np.array([p.probabilities for p in by_onnx]) - [p.probabilities for p in by_torch]).max()
        < 1e-4
    )


def test_the_canvas_set_is_drawn_once_a_process_for_the_same_test_digits(monkeypatch, tmp_path):
    """All 10,000 take 12 s to draw: a worker's second fine-tuning, or a second run in one process, reuses
    them; other test digits, or another size, are drawn afresh."""
    drawn, real = [], canvas_cache.canvas_set
    monkeypatch.setattr(canvas_cache, "canvas_set", lambda *args: drawn.append(args[2]) or real(*args))
    monkeypatch.setattr(canvas_cache, "_canvas_sets", {})
    trainer = TorchTrainer(tmp_path, tmp_path, download=False, progress=False)
    trainer.canvas_count = 20
    g = torch.Generator().manual_seed(0)
    test_x, test_y = torch.rand(50, 1, 28, 28, generator=g), torch.randint(0, 10, (50,), generator=g)
    data = MnistSplits(*[torch.zeros(1)] * 4, test_x, test_y, {})
    first, again = trainer._canvas_set(data), trainer._canvas_set(data)
    assert drawn == [20] and torch.equal(first[0], again[0]) and torch.equal(first[1], again[1])
    other = dataclasses.replace(data, test_x=test_x.flip(-1))
    assert not torch.equal(trainer._canvas_set(other)[0], first[0]) and drawn == [20, 20]
    trainer.canvas_count = 30
    assert len(trainer._canvas_set(other)[1]) == 30 and drawn == [20, 20, 30]


def test_a_fine_tuning_draws_no_more_synthetic_drawings_than_its_epochs_use(monkeypatch, tmp_path):
    asked = []
    monkeypatch.setattr(
        TorchTrainer, "_drawn", staticmethod(lambda *args, **kwargs: asked.append((args, kwargs)))
    )
    trainer = TorchTrainer(tmp_path, tmp_path, download=False, progress=False)
    cpu = torch.device("cpu")
    trainer._finetune_drawings(training.FineTuneConfig(), cpu, 55_000)  # full MNIST: a run uses far more
    # 20% of an epoch of 1,000 MNIST images and 250 drawings, twice: 500
    trainer._finetune_drawings(training.FineTuneConfig(epochs=2, synthetic_digits=0.2), cpu, 1_000)
    trainer._finetune_drawings(training.FineTuneConfig(synthetic_digits=0.0), cpu, 55_000)
    assert [args[2:4] for args, _ in asked] == [(5_000, 666), (500, 666), (5_000, 666)]
    assert [kwargs["with_digits"] for _, kwargs in asked] == [True, True, False]


def test_the_canvas_set_is_kept_in_the_models_folder_for_the_next_process(monkeypatch, tmp_path, caplog):
    drawn, real = [], canvas_cache.canvas_set
    monkeypatch.setattr(canvas_cache, "canvas_set", lambda *args: drawn.append(args[2]) or real(*args))
    g = torch.Generator().manual_seed(1)
    test_x, test_y = torch.rand(40, 1, 28, 28, generator=g), torch.randint(0, 10, (40,), generator=g)
    data = MnistSplits(*[torch.zeros(1)] * 4, test_x, test_y, {})

    def canvas_set_of_a_new_process(models_dir):
        monkeypatch.setattr(canvas_cache, "_canvas_sets", {})
        trainer = TorchTrainer(tmp_path, models_dir, download=False, progress=False)
        trainer.canvas_count = 15
        return trainer._canvas_set(data)

    first = canvas_set_of_a_new_process(tmp_path / "models")
    (kept,) = (tmp_path / "models" / "cache").glob("canvas-set-*-15.npz")
    again = canvas_set_of_a_new_process(tmp_path / "models")
    assert drawn == [15] and torch.equal(first[0], again[0]) and torch.equal(first[1], again[1])

    kept.write_bytes(b"not an npz file")  # a damaged cache is drawn again, and replaced
    assert torch.equal(canvas_set_of_a_new_process(tmp_path / "models")[0], first[0]) and drawn == [15, 15]
    blocked = tmp_path / "a-file"
    blocked.write_text("models_dir/cache cannot be made under a file")
    assert torch.equal(canvas_set_of_a_new_process(blocked)[0], first[0]) and drawn == [15, 15, 15]
    assert "could not keep the canvas set" in caplog.text
