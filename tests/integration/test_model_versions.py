"""`digitrec models list|import|promote|rollback` and `finetune` on the command line, against a database."""

import json

from click.testing import CliRunner

from digitrec.containers import Container
from digitrec.entrypoints.cli import cli
from model_files import SHIPPED, version_like_shipped


def run(*args):
    return CliRunner().invoke(cli, list(args), obj=Container())


def test_models_import_list_and_promote_on_the_command_line(tmp_path):
    database = ("--database-url", f"sqlite:///{tmp_path / 'registry.db'}")
    for version, accuracy in (("ft-good", 0.9950), ("ft-worse", 0.9900)):
        imported = run(
            "models", "import", str(version_like_shipped(tmp_path / "upload", version, accuracy)), *database
        )
        assert imported.exit_code == 0 and f"{version} registered (with an ONNX twin" in imported.output
    broken = tmp_path / "upload" / "broken.pt"
    broken.write_bytes(b"not a checkpoint")
    refused_import = run("models", "import", str(broken), *database)
    assert refused_import.exit_code == 1 and "not a usable digitrec checkpoint" in refused_import.output
    models = tmp_path / "elsewhere"  # the registry is the database: another models folder sees the same
    listed = run("models", "list", "--models-dir", str(models), *database)
    assert listed.exit_code == 0
    live_lines = [line for line in listed.output.splitlines() if line.startswith("*")]
    assert len(live_lines) == 1 and SHIPPED["version"] in live_lines[0]
    refused = run("models", "promote", "ft-worse", *database)
    assert refused.exit_code == 1 and "more than 0.2 points worse" in refused.output
    assert run("models", "promote", "ft-good", *database).exit_code == 0
    assert run("models", "promote", "ft-worse", "--force", *database).exit_code == 0
    assert "* ft-worse" in run("models", "list", *database).output


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
        run("models", "import", str(version_like_shipped(tmp_path / "upload", version, 0.995)))
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
    listed = json.loads(run("models", "list", "--json", "--models-dir", str(models)).stdout)
    assert [r["version"] for r in listed if r["live"]] == [SHIPPED["version"]]
    assert "history" not in listed[0] and listed[0]["canvas_accuracy"] == SHIPPED["metrics"].get(
        "canvas_accuracy"
    )
