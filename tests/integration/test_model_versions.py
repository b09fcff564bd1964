"""Model versions on disk: listing, promoting, the app's classifier following a promotion, and the CLI."""

import json

import torch
from click.testing import CliRunner

from digitrec.adapters.model_registry import FileModelRegistry, LiveClassifier
from digitrec.adapters.torch_model import load_checkpoint, shipped_model_path
from digitrec.containers import Container
from digitrec.entrypoints.cli import cli

SHIPPED = load_checkpoint(shipped_model_path())


def version_like_shipped(models_dir, version, test_accuracy, parent=None):
    """A checkpoint with the shipped weights under another version name and metrics."""
    payload = {
        **SHIPPED,
        "version": version,
        "metrics": {**SHIPPED["metrics"], "test_accuracy": test_accuracy},
        "lineage": {"parent": parent, "submissions_used": 123},
    }
    models_dir.mkdir(exist_ok=True)
    torch.save(payload, models_dir / f"{version}.pt")


def test_the_shipped_model_is_live_until_another_is_promoted(tmp_path):
    registry = FileModelRegistry(tmp_path / "models", shipped_model_path())
    assert [(r.version, r.live) for r in registry.list()] == [(SHIPPED["version"], True)]
    version_like_shipped(tmp_path / "models", "ft-1", 0.995, parent=SHIPPED["version"])
    records = {r.version: r for r in registry.list()}
    assert records["ft-1"].parent == SHIPPED["version"] and records["ft-1"].submissions_used == 123
    assert not records["ft-1"].live
    registry.promote("ft-1")
    assert registry.live().version == "ft-1"
    assert [r.version for r in registry.list() if r.live] == ["ft-1"]


def test_a_running_classifier_switches_to_a_promoted_model_without_a_restart(tmp_path):
    registry = FileModelRegistry(tmp_path / "models", shipped_model_path())
    classifier = LiveClassifier(registry)
    assert classifier.info.version == SHIPPED["version"]
    version_like_shipped(tmp_path / "models", "ft-2", 0.996)
    registry.promote("ft-2")
    assert classifier.info.version == "ft-2"
    assert classifier.predict(torch.zeros(28, 28).numpy()).digit in range(10)


def run(*args):
    return CliRunner().invoke(cli, list(args), obj=Container())


def test_models_list_and_promote_on_the_command_line(tmp_path):
    models = tmp_path / "models"
    version_like_shipped(models, "ft-good", 0.9950)
    version_like_shipped(models, "ft-worse", 0.9900)
    listed = run("models", "list", "--models-dir", str(models))
    assert listed.exit_code == 0
    live_lines = [line for line in listed.output.splitlines() if line.startswith("*")]
    assert len(live_lines) == 1 and SHIPPED["version"] in live_lines[0]
    refused = run("models", "promote", "ft-worse", "--models-dir", str(models))
    assert refused.exit_code == 1 and "more than 0.2 points worse" in refused.output
    assert run("models", "promote", "ft-good", "--models-dir", str(models)).exit_code == 0
    assert run("models", "promote", "ft-worse", "--force", "--models-dir", str(models)).exit_code == 0
    assert "* ft-worse" in run("models", "list", "--models-dir", str(models)).output


def test_finetune_refuses_when_there_are_too_few_submissions(tmp_path, mnist_dir):
    result = run(
        "finetune",
        "--data-dir",
        str(mnist_dir),
        "--database-url",
        f"sqlite:///{tmp_path / 'empty.db'}",
        "--models-dir",
        str(tmp_path / "models"),
    )
    assert result.exit_code == 1
    assert "only 0 submissions to learn from" in result.output and "at least 50" in result.output
    assert not (tmp_path / "models").exists() or not list((tmp_path / "models").glob("*.pt"))


def test_rollback_walks_back_through_the_promotions_to_the_shipped_model(tmp_path):
    models = tmp_path / "models"
    for version in ("ft-a", "ft-b"):
        version_like_shipped(models, version, 0.995)
    assert run("models", "rollback", "--models-dir", str(models)).output.endswith(
        "nothing to roll back to: no version was ever promoted\n"
    )
    for version in ("ft-a", "ft-b", "ft-b"):  # promoting the live version again is not a new step
        assert run("models", "promote", version, "--models-dir", str(models)).exit_code == 0

    steps = [run("models", "rollback", "--models-dir", str(models)) for _ in range(3)]

    assert [step.exit_code for step in steps] == [0, 0, 1]
    assert "ft-a is live again" in steps[0].output
    assert f"{SHIPPED['version']} is live again" in steps[1].output
    assert "nothing to roll back to" in steps[2].output
    listed = json.loads(run("models", "list", "--json", "--models-dir", str(models)).output)
    assert [r["version"] for r in listed if r["live"]] == [SHIPPED["version"]]
    assert "history" not in listed[0] and listed[0]["canvas_accuracy"] == SHIPPED["metrics"].get(
        "canvas_accuracy"
    )
