import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# Modules whose tests train or fine-tune a model for more than a few seconds: the `training` tier.
TRAINING_MODULES = {
    "test_training.py",
    "test_training_data.py",
    "test_distributed_training.py",
    "test_finetune_proof.py",
    "test_worker.py",
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Give out the tiers `make check` leaves out: `postgres` to every test that uses a PostgreSQL server
    (a postgres fixture, or a storage backend parametrised as "postgresql"), `training` to the modules that
    train. `browser` and `docker` are set by their modules."""
    for item in items:
        params = item.callspec.params.values() if hasattr(item, "callspec") else ()
        on_postgres = any(isinstance(value, str) and value == "postgresql" for value in params)
        if on_postgres or any(name.startswith("postgres") for name in item.fixturenames):
            item.add_marker(pytest.mark.postgres)
        if item.path.name in TRAINING_MODULES:
            item.add_marker(pytest.mark.training)


@pytest.fixture(autouse=True)
def own_database_and_models(monkeypatch, tmp_path_factory):
    """Commands that read the model registry without --database-url / --models-dir (predict, evaluate...)
    use a throwaway database and models folder, never digitrec.db and models/ in the checkout."""
    folder = tmp_path_factory.mktemp("registry")
    monkeypatch.setenv("DIGITREC_DATABASE_URL", f"sqlite:///{folder / 'digitrec.db'}")
    monkeypatch.setenv("DIGITREC_MODELS_DIR", str(folder / "models"))


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    """The MNIST files tests train on: $DIGITREC_DATA_DIR, else ../shared/mnist beside the checkout."""
    path = Path(os.environ.get("DIGITREC_DATA_DIR", REPO.parent / "shared" / "mnist"))
    if not (path / "MNIST" / "raw" / "train-images-idx3-ubyte").exists():
        if os.environ.get("CI"):
            pytest.fail(f"MNIST is missing from {path}; CI must have it")
        pytest.skip(f"MNIST is not at {path}; set DIGITREC_DATA_DIR")
    return path


class FakeClassifier:
    """Always answers `digit` with `confidence`, and that the image is a digit unless `is_digit` is False
    (then `digit` is only its best guess); remembers the images it was shown."""

    def __init__(
        self, digit: int = 7, confidence: float = 0.91, version: str = "fake-v1", is_digit: bool = True
    ):
        from digitrec.domain.types.predictions import ModelInfo

        self.digit, self.confidence, self.is_digit, self.seen = digit, confidence, is_digit, []
        self.info = ModelInfo(version=version, test_accuracy=0.995, created_at="2026-11-24T00:00:00+00:00")

    def predict(self, image):
        return self.predict_batch([image])[0]

    def predict_batch(self, images):
        from digitrec.domain.types.predictions import Prediction

        self.seen.extend(images)
        rest = (1 - self.confidence) / 9
        probabilities = tuple(self.confidence if d == self.digit else rest for d in range(10))
        return [Prediction(self.digit, probabilities, self.is_digit) for _ in images]


@pytest.fixture
def fake_classifier() -> FakeClassifier:
    return FakeClassifier()


@pytest.fixture
def not_a_digit_classifier() -> FakeClassifier:
    """Says no image looks like a digit; its best guess is 4, at 38%."""
    return FakeClassifier(digit=4, confidence=0.38, is_digit=False)
