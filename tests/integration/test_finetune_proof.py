"""The loop closed, through the CLI: sideways drawings the shipped model gets wrong are submitted, `digitrec
finetune` learns them, the held-out ones rise by a wide margin while MNIST stays >= 99.3%, and the new
version can be promoted. (Full MNIST, five epochs: about three minutes on two cores.)"""

import importlib.util
import json
import re
from pathlib import Path

from click.testing import CliRunner

from digitrec.containers import Container
from digitrec.entrypoints.cli import cli

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_finetune.py"


def bench_module():
    spec = importlib.util.spec_from_file_location("bench_finetune", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_finetune_learns_a_new_style_without_forgetting_mnist(tmp_path, mnist_dir):
    bench, database, models = bench_module(), f"sqlite:///{tmp_path / 'subs.db'}", tmp_path / "models"
    container = Container()
    container.config.from_dict({"database_url": database, "models_dir": str(models)})
    bench.submit_all(
        container.submissions(), container.classifier(), bench.sideways_drawings(mnist_dir, 300, 1)
    )

    args = [
        "finetune",
        "--data-dir",
        str(mnist_dir),
        "--database-url",
        database,
        "--models-dir",
        str(models),
        "--plots-dir",
        str(tmp_path / "plots"),
    ]
    result = CliRunner().invoke(cli, args, obj=Container())
    assert result.exit_code == 0, result.output
    before, after = map(
        float, re.search(r"held-out submissions: ([\d.]+)% -> ([\d.]+)%", result.output).groups()
    )
    mnist_after = float(re.search(r"MNIST test: +[\d.]+% -> ([\d.]+)%", result.output).group(1))
    assert before < 50 and after > before + 40, result.output
    assert mnist_after >= 99.3, result.output

    listed = json.loads(
        CliRunner().invoke(cli, ["models", "list", "--json", "--database-url", database]).stdout
    )
    [tuned] = [r for r in listed if r["parent"]]
    assert tuned["parent"] == container.classifier().info.version and 200 < tuned["submissions_used"] < 300
    assert abs(100 * tuned["heldout_accuracy"] - after) < 0.01
    promoted = CliRunner().invoke(cli, ["models", "promote", tuned["version"], "--database-url", database])
    assert promoted.exit_code == 0 and f"{tuned['version']} is live" in promoted.output, promoted.output
