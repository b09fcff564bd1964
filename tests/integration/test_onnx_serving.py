"""Serving without torch: the shipped model's ONNX twin answers as the checkpoint does, and predict,
evaluate and the app's classifier work in a process where torch cannot be imported at all."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from digitrec.adapters.drawing.canvas_drawings import canvas_set
from digitrec.adapters.onnx.classifier import OnnxClassifier
from digitrec.adapters.onnx.session import onnx_path
from digitrec.adapters.pretrained import shipped_model_path
from digitrec.adapters.torch.classifier import TorchClassifier
from digitrec.adapters.torch.mnist import load_mnist
from digitrec.containers import Container
from digitrec.domain.types.errors import ModelNotFound

# Runs the rest of the command line as `digitrec ...` in a process where `import torch` fails.
WITHOUT_TORCH = (
    "import sys; sys.modules.update(torch=None, torchvision=None); "
    "from digitrec.entrypoints.cli import main; sys.argv = ['digitrec', *sys.argv[1:]]; main()"
)


def test_the_onnx_twin_gives_the_same_answers_as_the_checkpoint(mnist_dir):
    mnist = load_mnist(mnist_dir, download=False)
    drawings = canvas_set(mnist.test_images.numpy(), mnist.test_labels.numpy(), count=1000)
    rng = np.random.default_rng(0)
    scribbles = (rng.random((100, 28, 28)) > 0.8).astype(np.float32)  # noise: the verdict must agree too
    images = np.concatenate([drawings.images, scribbles])
    by_torch = TorchClassifier(shipped_model_path()).predict_batch(images)
    by_onnx = OnnxClassifier(onnx_path(shipped_model_path())).predict_batch(images)

    assert [p.digit for p in by_onnx] == [p.digit for p in by_torch]
    assert [p.is_digit for p in by_onnx] == [p.is_digit for p in by_torch]
    difference = np.abs(np.array([p.probabilities for p in by_onnx]) - [p.probabilities for p in by_torch])
    assert difference.max() < 1e-4


def test_the_container_serves_onnx_when_asked_and_a_missing_twin_is_a_clear_error(tmp_path):
    container = Container()
    container.config.from_dict(
        {"database_url": "memory://", "models_dir": str(tmp_path / "models"), "runtime": "onnx"}
    )
    live = container.classifier()
    assert type(live.current()).__name__ == "OnnxClassifier"
    assert live.info.version == TorchClassifier(shipped_model_path()).info.version
    (tmp_path / "lone.pt").write_bytes(shipped_model_path().read_bytes())
    with pytest.raises(ModelNotFound, match="no ONNX model at .*lone.onnx"):
        OnnxClassifier(onnx_path(tmp_path / "lone.pt"))


def test_predict_and_evaluate_work_where_torch_cannot_be_imported(tmp_path):
    pixels = np.zeros((280, 280), np.uint8)
    pixels[60:220, 130:150] = 255  # a 1
    from PIL import Image

    Image.fromarray(pixels).save(tmp_path / "one.png")
    (tmp_path / "labels.csv").write_text("file,label\none.png,1\n")

    def digitrec(*args: str) -> subprocess.CompletedProcess:
        command = [sys.executable, "-c", WITHOUT_TORCH, *args, "--models-dir", str(tmp_path / "models")]
        return subprocess.run(command, capture_output=True, text=True, timeout=120)

    predicted = digitrec("predict", "--json", str(tmp_path / "one.png"))
    assert predicted.returncode == 0, predicted.stderr
    [answer] = json.loads(predicted.stdout)
    assert answer["digit"] == 1 and answer["is_digit"] and answer["number"] == "1"
    evaluated = digitrec("evaluate", str(tmp_path))
    assert evaluated.returncode == 0 and "1 images, accuracy 100.00%" in evaluated.stdout, evaluated.stderr
    listed = subprocess.run(
        [sys.executable, "-c", WITHOUT_TORCH, "models", "list", "--models-dir", str(tmp_path / "models")],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert listed.returncode == 0 and listed.stdout.count("*") == 1, listed.stderr


APP_WITHOUT_TORCH = """
import base64, io, sys
sys.modules.update(torch=None, torchvision=None)
import numpy as np
from PIL import Image
from streamlit.testing.v1 import AppTest
from digitrec.entrypoints.webapp import wiring

at = AppTest.from_file(wiring.__file__.replace("wiring.py", "app.py"), default_timeout=60)
at.run()
pixels = np.zeros((280, 280, 4), np.uint8)
pixels[..., 3] = 255
pixels[60:220, 130:150, :3] = 255
png = io.BytesIO()
Image.fromarray(pixels, "RGBA").save(png, format="PNG")
url = "data:image/png;base64," + base64.b64encode(png.getvalue()).decode()
at.session_state["canvas"] = {"drawing": {"raw": {"objects": []}, "data": url}}
at.run()
at.toggle(key="inside_model").set_value(True).run()
shown = {
    "metrics": {m.label: m.value for m in at.metric},
    "info": [i.value for i in at.info],
    "pictures": [caption for image in at.image for caption in image.captions if caption],
}
for page in ("number.py", "history.py", "stats.py", "models.py", "review.py"):
    at.switch_page(f"views/{page}").run()
    shown[page] = [str(e) for e in at.exception]
print(__import__("json").dumps(shown))
"""


def test_the_app_runs_where_torch_cannot_be_imported(tmp_path):
    environment = {"DIGITREC_DATABASE_URL": "memory://", "DIGITREC_MODELS_DIR": str(tmp_path / "models")}
    ran = subprocess.run(
        [sys.executable, "-c", APP_WITHOUT_TORCH], capture_output=True, text=True, timeout=300,
        env={**__import__("os").environ, **environment}, cwd=tmp_path,
    )  # fmt: skip
    assert ran.returncode == 0, ran.stderr[-3000:]
    shown = json.loads(ran.stdout.strip().splitlines()[-1])
    assert shown["metrics"]["Predicted digit"] == "1"
    assert not any("cannot show" in text for text in shown["info"])  # Inside the model shows its pictures:
    assert shown["pictures"][:3] == ["what the model saw", "28x28 input", "what made it say 1"]
    assert [caption.split(" (")[0] for caption in shown["pictures"][3:]] == ["stage 1", "stage 2", "stage 3"]
    assert all(
        shown[page] == [] for page in ("number.py", "history.py", "stats.py", "models.py", "review.py")
    )


def test_inside_the_model_on_onnx_runtime_draws_the_same_pictures_as_torch(mnist_dir):
    mnist = load_mnist(mnist_dir, download=False)
    drawings = canvas_set(mnist.test_images.numpy(), mnist.test_labels.numpy(), count=20)
    blank, letter = np.zeros((28, 28), np.float32), np.zeros((28, 28), np.float32)
    letter[4:24, 6:8] = letter[4:24, 20:22] = letter[13:15, 6:22] = 1  # an H: not a digit
    by_torch = TorchClassifier(shipped_model_path())
    by_onnx = OnnxClassifier(onnx_path(shipped_model_path()))
    for image in [*drawings.images, blank, letter]:
        torch_view, onnx_view = by_torch.explain(image), by_onnx.explain(image)
        assert onnx_view.prediction.digit == torch_view.prediction.digit
        assert onnx_view.prediction.is_digit == torch_view.prediction.is_digit
        assert [s.name for s in onnx_view.stages] == [s.name for s in torch_view.stages]
        for ours, theirs in zip(onnx_view.stages, torch_view.stages, strict=True):
            np.testing.assert_allclose(ours.maps, theirs.maps, atol=1e-4)
        np.testing.assert_allclose(onnx_view.saliency, torch_view.saliency, atol=1e-4)
    assert by_onnx.explain(drawings.images[0]).saliency.max() == pytest.approx(1.0)


def test_a_model_without_an_explain_graph_says_so(tmp_path):
    from digitrec.domain.types.explanations import CannotExplain

    (tmp_path / "old.onnx").write_bytes(onnx_path(shipped_model_path()).read_bytes())
    with pytest.raises(CannotExplain, match="no explain graph .*old.explain.onnx"):
        OnnxClassifier(tmp_path / "old.onnx").explain(np.zeros((28, 28), np.float32))
