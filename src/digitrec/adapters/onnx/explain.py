"""Inside one prediction, on ONNX Runtime: the `Explainer` port without torch.

Beside each checkpoint's ONNX twin `VERSION.onnx`, torch_onnx.py writes an explain graph
`VERSION.explain.onnx`: the same network for one image, whose outputs are the logits, each convolution
stage's output (after its ReLU, before pooling, as `torch_explain.staged_forward` gives them) and the linear
head's weights. Grad-CAM needs the gradient of the predicted digit's logit with respect to the last stage;
through DigitNet's last max-pool and its one linear layer that gradient is the head's weights for that digit,
routed in each pooling window to the cell that held the maximum (the first one on a tie, as torch does). It
is computed here in numpy, so that the pictures equal torch_explain's (test_onnx_serving.py checks).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from digitrec.adapters.onnx.session import session_of
from digitrec.adapters.verdict import Verdict
from digitrec.domain.types.explanations import (
    CannotExplain,
    Explanation,
    FeatureMaps,
    explained_input,
    on_the_ink,
    stage_name,
)
from digitrec.domain.types.predictions import IMAGE_SIDE

OUTPUTS = ("logits", "stage1", "stage2", "stage3", "head_weight")
POOL = 2  # DigitNet's last max-pool: 2x2, stride 2


def explain_path(onnx_file: Path) -> Path:
    """Where the explain graph of the model in `onnx_file` (VERSION.onnx) lies: VERSION.explain.onnx."""
    onnx_file = Path(onnx_file)
    return onnx_file.with_name(onnx_file.stem + ".explain.onnx")


def pooled_gradient(stage: np.ndarray, pooled_grad: np.ndarray) -> np.ndarray:
    """The gradient with respect to `stage` (C, H, W) of a function whose gradient with respect to
    maxpool2x2(stage) is `pooled_grad` (C, h, w): each window's gradient goes to its first largest cell. A
    window past the edge is partial when h > H // 2 (ceil mode), and cells no window covers get none."""
    channels, height, width = stage.shape
    _, rows, cols = pooled_grad.shape
    padded = np.full((channels, rows * POOL, cols * POOL), -np.inf, np.float32)
    covered_h, covered_w = min(height, rows * POOL), min(width, cols * POOL)
    padded[:, :covered_h, :covered_w] = stage[:, :covered_h, :covered_w]
    windows = padded.reshape(channels, rows, POOL, cols, POOL).transpose(0, 1, 3, 2, 4)
    first = windows.reshape(channels, rows, cols, POOL * POOL).argmax(axis=-1)
    routed = np.zeros((channels, rows, cols, POOL * POOL), np.float32)
    np.put_along_axis(routed, first[..., None], pooled_grad[..., None], axis=-1)
    grad = routed.reshape(channels, rows, cols, POOL, POOL).transpose(0, 1, 3, 2, 4)
    grad = grad.reshape(channels, rows * POOL, cols * POOL)
    full = np.zeros_like(stage, dtype=np.float32)
    full[:, :covered_h, :covered_w] = grad[:, :covered_h, :covered_w]
    return full


def bilinear_matrix(n_in: int, n_out: int) -> np.ndarray:
    """(n_out, n_in) weights of bilinear resampling as torch's `interpolate(align_corners=False)` does it."""
    source = np.maximum((np.arange(n_out) + 0.5) * n_in / n_out - 0.5, 0)
    low = np.minimum(np.floor(source).astype(int), n_in - 1)
    high = np.minimum(low + 1, n_in - 1)
    frac = (source - low).astype(np.float32)
    matrix = np.zeros((n_out, n_in), np.float32)
    np.add.at(matrix, (np.arange(n_out), low), 1 - frac)
    np.add.at(matrix, (np.arange(n_out), high), frac)
    return matrix


def grad_cam(stage: np.ndarray, head_weight: np.ndarray, digit: int, side: int = IMAGE_SIDE) -> np.ndarray:
    """Grad-CAM of the last stage's output `stage` (C, H, W) for `digit`, upsampled to side x side."""
    channels = stage.shape[0]
    cells = head_weight.shape[1] // channels
    pooled_side = int(round(cells**0.5))
    if pooled_side * pooled_side * channels != head_weight.shape[1]:
        raise CannotExplain(f"the head's {head_weight.shape[1]} inputs are not {channels} square maps")
    pooled_grad = head_weight[digit].reshape(channels, pooled_side, pooled_side).astype(np.float32)
    weights = pooled_gradient(stage, pooled_grad).mean(axis=(1, 2))
    cam = np.maximum((weights[:, None, None] * stage).sum(axis=0), 0)
    rows, cols = bilinear_matrix(stage.shape[1], side), bilinear_matrix(stage.shape[2], side)
    return rows @ cam @ cols.T


class OnnxExplainer:
    """The `Explainer` port over a model's explain graph (made lazily: only "Inside the model" needs it)."""

    def __init__(self, onnx_file: Path, verdict: Verdict):
        self.path = explain_path(onnx_file)
        self.verdict = verdict
        self._session = None

    def session(self):
        if self._session is None:
            if not self.path.is_file():
                raise CannotExplain(
                    f"it has no explain graph ({self.path.name}) beside it; a checkpoint written by this "
                    "digitrec has one, and `digitrec models import` stores it"
                )
            self._session = session_of(self.path)[0]
        return self._session

    def explain(self, image: np.ndarray) -> Explanation:
        model_input = explained_input(image)
        logits, *stages, head_weight = self.session().run(list(OUTPUTS), {"image": model_input[None, None]})
        prediction = self.verdict.predictions(logits)[0]
        maps = [stage[0] for stage in stages]
        cam = grad_cam(maps[-1], head_weight, prediction.digit)
        return Explanation(
            model_input=model_input,
            stages=tuple(FeatureMaps(stage_name(i, m), m) for i, m in enumerate(maps, 1)),
            saliency=on_the_ink(cam, model_input),
            prediction=prediction,
        )
