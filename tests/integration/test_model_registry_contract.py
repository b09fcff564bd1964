"""One contract for the model registry (versions, lineage, the live pointer) on every backend (memory, SQLite,
PostgreSQL), reached through the container; then what only a shared database gives: another machine's copy
of a version, every replica following a promotion, promotions at once, and the import of an older models/
folder."""

from __future__ import annotations

import hashlib
import json
import shutil
import threading
from pathlib import Path

import numpy as np
import pytest

from digitrec.adapters.model_registry import LiveClassifier
from digitrec.adapters.pretrained import shipped_model_path
from digitrec.adapters.torch.model import load_checkpoint
from digitrec.containers import Container
from digitrec.domain.types.errors import DigitrecError, StorageUnavailable
from model_files import SHIPPED, version_like_shipped


def open_registry(url: str, models_dir: Path, **config) -> Container:
    container = Container()
    container.config.from_dict({"database_url": url, "database_timeout": 10, "models_dir": str(models_dir)})
    container.config.from_dict(config)
    return container


DATABASES = {"sqlite": "sqlite_url", "postgresql": "postgres_url"}  # the fixtures of an empty database


@pytest.fixture(params=["memory", *DATABASES])
def url(request) -> str:
    return "memory://" if request.param == "memory" else request.getfixturevalue(DATABASES[request.param])


@pytest.fixture(params=list(DATABASES))
def sql_url(request) -> str:
    return request.getfixturevalue(DATABASES[request.param])


def test_the_shipped_model_is_registered_and_live_on_first_use(url, tmp_path):
    registry = open_registry(url, tmp_path / "models").models()
    assert [(r.version, r.live) for r in registry.list()] == [(SHIPPED["version"], True)]
    live = registry.live()
    assert live.version == SHIPPED["version"] and live.test_accuracy == SHIPPED["metrics"]["test_accuracy"]
    assert Path(live.location).is_file() and load_checkpoint(live.location)["version"] == SHIPPED["version"]


def test_registered_versions_keep_lineage_and_metrics_and_promotions_walk_back(url, tmp_path):
    registry = open_registry(url, tmp_path / "models").models()
    upload = tmp_path / "upload"
    a = registry.register(version_like_shipped(upload, "ft-a", 0.9951, parent=SHIPPED["version"]))
    registry.register(version_like_shipped(upload, "ft-b", 0.9952, parent="ft-a"))
    assert registry.register(upload / "ft-a.pt").version == "ft-a"  # the same file again: no change
    version_like_shipped(tmp_path / "other", "ft-a", 0.90)
    with pytest.raises(DigitrecError, match="another model is registered as 'ft-a'"):
        registry.register(tmp_path / "other" / "ft-a.pt")
    with pytest.raises(DigitrecError, match="no model version 'nope'"):
        registry.promote("nope")

    assert (a.parent, a.submissions_used, a.test_accuracy, a.live) == (SHIPPED["version"], 123, 0.9951, False)
    b = registry.get("ft-b")
    assert b.parent == "ft-a" and len(b.history) == len(SHIPPED["metrics"]["history"]) and b.confusion
    for version in ("ft-a", "ft-b", "ft-b"):  # promoting the live version again is not a new step
        assert registry.promote(version).live
    assert [r.version for r in registry.list() if r.live] == ["ft-b"]

    assert registry.rollback_target() == "ft-a"
    assert [registry.rollback().version for _ in range(2)] == ["ft-a", SHIPPED["version"]]
    assert registry.rollback_target() is None
    with pytest.raises(DigitrecError, match="nothing to roll back to"):
        registry.rollback()
    assert sorted(r.version for r in registry.list()) == sorted(["ft-a", "ft-b", SHIPPED["version"]])


def test_another_machine_gets_the_version_from_the_database_alone(sql_url, tmp_path):
    """Machine A registers a checkpoint and deletes its file; machine B (its own models folder) serves it."""
    checkpoint = version_like_shipped(tmp_path / "a-models", "ft-remote", 0.996)
    open_registry(sql_url, tmp_path / "a-models").models().register(checkpoint)
    digest = hashlib.sha256(checkpoint.read_bytes()).hexdigest()
    shutil.rmtree(tmp_path / "a-models")

    machine_b = open_registry(sql_url, tmp_path / "b-models", runtime="onnx")
    machine_b.models().promote("ft-remote")
    copy = Path(machine_b.models().live().location)
    assert (
        copy.is_relative_to(tmp_path / "b-models") and hashlib.sha256(copy.read_bytes()).hexdigest() == digest
    )
    assert copy.with_suffix(".onnx").is_file()
    assert machine_b.classifier().info.version == "ft-remote"  # served on ONNX Runtime from the copied twin
    assert machine_b.classifier().explain(np.zeros((28, 28), np.float32)).stages  # and its explain graph


def test_every_replica_follows_a_promotion_at_its_next_check(sql_url, tmp_path):
    version_like_shipped(tmp_path / "models", "ft-next", 0.996)
    admin = open_registry(sql_url, tmp_path / "models").models()
    admin.register(tmp_path / "models" / "ft-next.pt")
    now = [0.0]
    replicas = [
        LiveClassifier(
            open_registry(sql_url, tmp_path / f"replica-{i}").models(), "onnx", 3.0, lambda: now[0]
        )
        for i in range(2)
    ]
    assert {r.info.version for r in replicas} == {SHIPPED["version"]}

    admin.promote("ft-next")
    now[0] = 2.9
    assert {r.info.version for r in replicas} == {SHIPPED["version"]}  # cached: the database is not asked
    now[0] = 3.0
    assert {r.info.version for r in replicas} == {"ft-next"}
    admin.rollback()
    now[0] = 6.0
    assert {r.info.version for r in replicas} == {SHIPPED["version"]}


def test_a_promotion_made_in_the_same_process_is_followed_at_once(url, tmp_path):
    """An operator promotes on this replica's Models page: its sidebar shows the new model on that very
    rerun, without waiting for the next check."""
    registry = open_registry(url, tmp_path / "models").models()
    registry.register(version_like_shipped(tmp_path / "upload", "ft-here", 0.996))
    live = LiveClassifier(registry, "onnx", 3600.0, lambda: 0.0)  # the clock never moves
    registry.promote("ft-here")
    assert live.info.version == "ft-here"
    registry.rollback()
    assert live.info.version == SHIPPED["version"]


def test_a_serving_process_keeps_its_model_while_the_registry_is_unreachable(tmp_path):
    class FlakyRegistry:
        down, changes = False, 0

        def live_location(self):
            if self.down:
                raise StorageUnavailable("submission database is unavailable: connection refused")
            return shipped_model_path()

    registry, now = FlakyRegistry(), [0.0]
    classifier = LiveClassifier(registry, "onnx", 1.0, lambda: now[0])
    registry.down, now[0] = True, 5.0
    assert classifier.info.version == SHIPPED["version"]
    with pytest.raises(StorageUnavailable):  # with no model yet there is nothing to fall back on
        LiveClassifier(registry, "onnx")


def test_promotions_at_once_are_serialised(url, tmp_path):
    versions = [f"ft-{i}" for i in range(6)]
    for version in versions:
        version_like_shipped(tmp_path / "models", version)
    first = open_registry(url, tmp_path / "models")
    for version in versions:
        first.models().register(tmp_path / "models" / f"{version}.pt")
    # Each thread its own connections (a registry of its own on a SQL database; the one store in memory).
    registries = [first.models() if url == "memory://" else open_registry(url, tmp_path / "models").models()]
    registries += [
        registries[0] if url == "memory://" else open_registry(url, tmp_path / "models").models()
        for _ in versions[1:]
    ]
    start = threading.Barrier(len(versions))

    def promote(registry, version):
        start.wait()
        registry.promote(version)

    threads = [threading.Thread(target=promote, args=pair) for pair in zip(registries, versions, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # The pointer names the newest promotion, and walking back visits each of the others once.
    seen = [first.models().live().version] + [first.models().rollback().version for _ in versions]
    assert sorted(seen[:-1]) == versions and seen[-1] == SHIPPED["version"]


def older_models_folder(folder: Path) -> None:
    """What digitrec before the database registry left: checkpoints and live.json (b live, a before it)."""
    for version in ("ft-a", "ft-b", "ft-c"):
        version_like_shipped(folder, version)
    a = {"version": "ft-a", "path": str(folder / "ft-a.pt"), "previous": []}
    (folder / "live.json").write_text(
        json.dumps({"version": "ft-b", "path": str(folder / "ft-b.pt"), "previous": [a]})
    )


def test_an_older_models_folder_is_imported_with_its_live_choice(url, tmp_path):
    older_models_folder(tmp_path / "models")
    registry = open_registry(url, tmp_path / "models").models()
    assert sorted(r.version for r in registry.list()) == sorted(["ft-a", "ft-b", "ft-c", SHIPPED["version"]])
    assert registry.live().version == "ft-b"
    assert [registry.rollback().version for _ in range(2)] == ["ft-a", SHIPPED["version"]]


def test_the_older_folder_is_imported_once(sql_url, tmp_path):
    older_models_folder(tmp_path / "models")
    open_registry(sql_url, tmp_path / "models").models().promote("ft-c")
    (tmp_path / "models" / "live.json").unlink()
    version_like_shipped(tmp_path / "models", "ft-late")
    again = open_registry(sql_url, tmp_path / "models").models()
    assert again.live().version == "ft-c" and "ft-late" not in [r.version for r in again.list()]


def test_a_clashing_file_in_the_older_folder_is_skipped_not_fatal(url, tmp_path):
    """A checkpoint that calls itself the shipped version but holds other weights is not imported."""
    version_like_shipped(tmp_path / "models", SHIPPED["version"], 0.5)
    version_like_shipped(tmp_path / "models", "ft-fine")
    registry = open_registry(url, tmp_path / "models").models()
    assert registry.get(SHIPPED["version"]).test_accuracy == SHIPPED["metrics"]["test_accuracy"]
    assert "ft-fine" in [r.version for r in registry.list()]
