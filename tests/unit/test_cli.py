"""The CLI through click's CliRunner, with the trainer swapped for a fake through the container."""

import json
import subprocess
import sys
from dataclasses import replace

import pytest
from click.testing import CliRunner

from digitrec.containers import Container
from digitrec.domain.types.errors import DatasetNotFound
from digitrec.domain.types.training import Calibration, EpochMetrics, TrainConfig, TrainingRun
from digitrec.entrypoints.cli import cli
from digitrec.entrypoints.formatting import run_summary


class FakeTrainer:
    """Reports two epochs and returns a run, remembering the config it was given."""

    def __init__(self, error: Exception | None = None):
        self.configs: list[TrainConfig] = []
        self.error = error

    def train(self, config, on_epoch=None):
        self.configs.append(config)
        if self.error:
            raise self.error
        history = tuple(
            EpochMetrics(e, 1.5 * e, 0.5 / e, 0.4 / e, 0.9 + e / 100, 0.9 + e / 100) for e in (1, 2)
        )
        for metrics in history:
            on_epoch(metrics)
        confusion = tuple(tuple(92 if i == j else 1 for j in range(10)) for i in range(10))
        return TrainingRun("fake-v1", "models/fake-v1.pt", history, 2, 0.92, confusion)


class Registrations:
    """The model registry's `register`, remembered (all `train` asks of the registry)."""

    def __init__(self):
        self.checkpoints = []

    def register(self, checkpoint):
        self.checkpoints.append(checkpoint)


def invoke(args, trainer, env=None, registry=None):
    container = Container()
    with container.trainer.override(trainer), container.models.override(registry or Registrations()):
        return CliRunner().invoke(cli, args, obj=container, env=env or {}, catch_exceptions=False)


def test_train_passes_options_through_registers_and_writes_metrics_and_plots(tmp_path):
    trainer, registry = FakeTrainer(), Registrations()
    metrics = tmp_path / "out" / "metrics.jsonl"
    result = invoke(
        [
            "train",
            "--epochs",
            "2",
            "--batch-size",
            "32",
            "--lr",
            "0.1",
            "--seed",
            "7",
            "--device",
            "cpu",
            "--target-accuracy",
            "0.99",
            "--no-augment",
            "--plots-dir",
            str(tmp_path / "plots"),
            "--metrics-jsonl",
            str(metrics),
        ],
        trainer,
        registry=registry,
    )
    assert result.exit_code == 0, result.output
    assert [str(c) for c in registry.checkpoints] == ["models/fake-v1.pt"]
    assert trainer.configs == [
        TrainConfig(
            epochs=2, batch_size=32, lr=0.1, seed=7, device="cpu", target_accuracy=0.99, augment=False
        )
    ]
    lines = [json.loads(line) for line in metrics.read_text().splitlines()]
    assert [line["epoch"] for line in lines] == [1, 2]
    assert set(lines[0]) >= {"epoch", "seconds", "train_loss", "val_loss", "val_accuracy", "test_accuracy"}
    assert "MNIST test accuracy 92.00%" in result.output
    assert sorted(p.name for p in (tmp_path / "plots").iterdir()) == [
        "fake-v1-accuracy.png",
        "fake-v1-confusion.png",
        "fake-v1-loss.png",
    ]


def test_a_run_is_summed_up_with_its_kept_epoch_calibration_and_verdict():
    """The lines `train` prints and `bench_train.py --to-the-end` reuses: the verdict's line only for a model
    that has one."""
    run = FakeTrainer().train(TrainConfig(), on_epoch=lambda m: None)
    assert run_summary(run) == [
        "model fake-v1: the weights of epoch 2 of 2 (validation loss 0.2000, accuracy 92.00%), "
        "MNIST test accuracy 92.00%, 3.0s"
    ]
    temperature_only = Calibration(0.97, None, 0.0123, 0.0045, 0.0, None, None, (), ())
    assert run_summary(replace(run, calibration=temperature_only))[1:] == [
        "calibration: temperature 0.97, expected calibration error on validation digits 1.23% -> 0.45%"
    ]
    with_verdict = Calibration(0.97, 0.34, 0.0123, 0.0045, 0.0026, 0.992, 0.9998, (), ())
    assert run_summary(replace(run, calibration=with_verdict))[2:] == [
        "not a digit: refuses 0.26% of validation digits and 99.2% of validation non-digits (AUROC 0.9998)"
    ]


def test_data_dir_comes_from_the_environment(tmp_path):
    container = Container()
    with container.trainer.override(FakeTrainer()):
        CliRunner().invoke(
            cli,
            ["train", "--plots-dir", str(tmp_path)],
            obj=container,
            env={"DIGITREC_DATA_DIR": "/some/mnist", "DIGITREC_TRAIN_EPOCHS": "3"},
        )
    assert container.config.data_dir() == "/some/mnist"


def test_the_time_budget_is_passed_through_and_zero_turns_it_off(tmp_path):
    trainer = FakeTrainer()
    invoke(["train", "--plots-dir", str(tmp_path)], trainer)
    invoke(["train", "--plots-dir", str(tmp_path), "--time-budget", "120"], trainer)
    invoke(["train", "--plots-dir", str(tmp_path), "--time-budget", "0"], trainer)
    assert [c.time_budget for c in trainer.configs] == [TrainConfig.time_budget, 120.0, None]
    assert invoke(["train", "--time-budget", "-1"], trainer).exit_code == 2


def test_widths_default_to_a_choice_and_take_three_channel_counts(tmp_path):
    trainer = FakeTrainer()
    invoke(["train", "--plots-dir", str(tmp_path)], trainer)
    invoke(["train", "--plots-dir", str(tmp_path), "--widths", "32,64,128"], trainer)
    invoke(["train", "--plots-dir", str(tmp_path), "--widths", "AUTO"], trainer)
    assert [c.widths for c in trainer.configs] == [None, (32, 64, 128), None]
    for bad in ("32,64", "32,64,x", "0,8,16", "wide"):
        result = invoke(["train", "--widths", bad], trainer)
        assert result.exit_code == 2 and "expected auto or three positive channel counts" in result.output
    assert len(trainer.configs) == 3


def test_epochs_from_the_environment(tmp_path):
    trainer = FakeTrainer()
    invoke(["train", "--plots-dir", str(tmp_path)], trainer, env={"DIGITREC_TRAIN_EPOCHS": "3"})
    assert trainer.configs[0].epochs == 3


def test_a_domain_error_is_a_clear_message_not_a_traceback(tmp_path):
    trainer = FakeTrainer(DatasetNotFound("MNIST is not in /x; point --data-dir at it"))
    result = invoke(["train", "--plots-dir", str(tmp_path)], trainer)
    assert result.exit_code == 1
    assert "Error: MNIST is not in /x; point --data-dir at it" in result.output
    assert "Traceback" not in result.output


def test_bad_option_values_are_refused_before_training(tmp_path):
    trainer = FakeTrainer()
    result = invoke(["train", "--epochs", "0"], trainer)
    assert result.exit_code == 2 and "--epochs" in result.output
    result = invoke(["train", "--target-accuracy", "99"], trainer)
    assert result.exit_code == 2 and "--target-accuracy" in result.output
    assert trainer.configs == []


def test_help_does_not_import_torch():
    probe = (
        "import sys\nfrom digitrec.entrypoints.cli import cli\n"
        "try:\n    cli(['--help'])\nexcept SystemExit:\n    print('torch loaded:', 'torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert "train" in out
    assert "torch loaded: False" in out


def test_an_unavailable_device_is_an_error_message_not_a_traceback(mnist_dir, tmp_path):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    args = ["train", "--device", "cuda", "--data-dir", str(mnist_dir), "--models-dir", str(tmp_path)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1 and "Error: --device cuda was asked for" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_memory_storage_is_a_setting(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["submissions", "stats", "--json", "--database-url", "memory://"])
    assert result.exit_code == 0 and '"n": 0' in result.output
    assert list(tmp_path.iterdir()) == []  # no SQLite file was created


def test_times_are_shown_in_words():
    from digitrec.entrypoints.formatting import moment

    assert moment("2026-12-02T14:52:11+00:00") == "2 December 2026, 14:52 UTC"
    assert moment("2026-12-02T15:52:11+01:00") == "2 December 2026, 14:52 UTC"
    assert moment(None) == "an unknown time" and moment("last week") == "last week"


def test_times_are_said_in_words_a_person_reads_at_a_glance():
    from datetime import UTC, datetime, timedelta

    from digitrec.entrypoints.formatting import ago

    now = datetime(2026, 12, 7, 15, 30, tzinfo=UTC)
    said = [
        ago(now - delta, now)
        for delta in (timedelta(seconds=20), timedelta(minutes=12), timedelta(hours=3), timedelta(days=1))
    ]
    assert said == ["just now", "12 min ago", "today 12:30", "yesterday 15:30"]
    assert ago(datetime(2026, 12, 2, 14, 52, tzinfo=UTC), now) == "2 Dec 14:52"
    assert ago(datetime(2025, 12, 2, 14, 52), now) == "2 Dec 2025"  # a naive time is taken as UTC
    assert ago(None, now) == "-"
