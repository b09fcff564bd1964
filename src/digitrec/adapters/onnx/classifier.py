"""The `Classifier` port over ONNX Runtime: serving without torch. Every checkpoint `VERSION.pt` has a
`VERSION.onnx` beside it (written when the checkpoint is, by torch_onnx.py) holding the same network and,
in its metadata, what the checkpoint says about the model (version, metrics, calibration, lineage)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from digitrec.adapters.onnx.explain import OnnxExplainer
from digitrec.adapters.onnx.session import session_of
from digitrec.adapters.verdict import Verdict, image_batch, model_info
from digitrec.domain.types.explanations import Explanation
from digitrec.domain.types.predictions import ModelInfo, Prediction


class OnnxClassifier:
    def __init__(self, path: Path):
        self.session, metadata = session_of(path)
        self.verdict = Verdict.of(metadata)
        self._info = model_info(metadata, path)
        self.explainer = OnnxExplainer(path, self.verdict)

    @property
    def info(self) -> ModelInfo:
        return self._info

    def predict(self, image: np.ndarray) -> Prediction:
        return self.predict_batch(np.asarray(image)[None])[0]

    def predict_batch(self, images: np.ndarray | Sequence[np.ndarray]) -> list[Prediction]:
        batch = image_batch(images)
        if len(batch) == 0:
            return []
        (logits,) = self.session.run(None, {"image": np.ascontiguousarray(batch[:, None])})
        return self.verdict.predictions(logits)

    def explain(self, image: np.ndarray) -> Explanation:
        """The `Explainer` port, from the explain graph beside the model (onnx_explain.py)."""
        return self.explainer.explain(image)
