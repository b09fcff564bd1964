"""The `Classifier` and `Explainer` ports over a DigitNet checkpoint, on torch (the CPU): predictions with
the checkpoint's calibration and not-a-digit verdict, and what is inside the network (torch_explain.py)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import torch

from digitrec.adapters.torch.explain import explain
from digitrec.adapters.torch.model import SMALL_BATCH, build_model, load_checkpoint
from digitrec.adapters.verdict import Verdict, image_batch, model_info
from digitrec.domain.types.errors import ModelNotFound
from digitrec.domain.types.explanations import Explanation
from digitrec.domain.types.predictions import ModelInfo, Prediction


@contextmanager
def threads_for(batch_size: int) -> Iterator[None]:
    """One thread for a few images: waking a second one costs more than it saves (p99 of one canvas on two
    cores drops from ~100 ms to ~2 ms). Large batches keep every core."""
    threads = torch.get_num_threads()
    if batch_size > SMALL_BATCH or threads == 1:
        yield
        return
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


class TorchClassifier:
    """The `Classifier` and `Explainer` ports over a DigitNet checkpoint, on the CPU."""

    def __init__(self, checkpoint_path: Path):
        payload = load_checkpoint(checkpoint_path)
        self.model = build_model(payload["architecture"])
        try:
            self.model.load_state_dict(payload["state_dict"])
        except (RuntimeError, KeyError) as exc:
            raise ModelNotFound(f"{checkpoint_path}: weights do not fit the architecture ({exc})") from exc
        self.model.eval()
        self.verdict = Verdict.of(payload)
        self._info = model_info(payload, checkpoint_path)

    @property
    def info(self) -> ModelInfo:
        return self._info

    def predict(self, image: np.ndarray) -> Prediction:
        return self.predict_batch(np.asarray(image)[None])[0]

    def explain(self, image: np.ndarray) -> Explanation:
        """The `Explainer` port: feature maps, saliency and `predict`'s answer (see torch_explain.py)."""
        with threads_for(1):
            return explain(self.model, self.verdict, image)

    @torch.inference_mode()
    def predict_batch(self, images: np.ndarray | Sequence[np.ndarray]) -> list[Prediction]:
        batch = image_batch(images)
        if len(batch) == 0:
            return []
        with threads_for(len(batch)):
            logits = self.model(torch.from_numpy(batch)[:, None])
        return self.verdict.predictions(logits.numpy())
