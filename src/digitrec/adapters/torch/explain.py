"""Inside one prediction of a DigitNet: each convolution stage's feature maps, and a Grad-CAM saliency map of
the predicted digit, from one forward and one backward pass.

The stages are run one by one here, in the order `DigitNet.forward` runs them, rather than read by forward
hooks: a hook on the shared model would also fire for other sessions' predictions made at the same time.
The integration tests check that the answer equals `TorchClassifier.predict`'s, so the two cannot drift.

Saliency is Grad-CAM (Selvaraju et al., 2017) of the last stage, whose 7x7 maps are the most class-specific:
each map weighted by the mean gradient of the predicted digit's logit, summed, its positive part upsampled
to 28x28, then multiplied by the ink, so that it colours the strokes that drove the answer (the best guess's,
when the model says the drawing is not a digit).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from digitrec.adapters.torch.model import DigitNet
from digitrec.adapters.verdict import Verdict
from digitrec.domain.types.explanations import (
    Explanation,
    FeatureMaps,
    explained_input,
    on_the_ink,
    stage_name,
)
from digitrec.domain.types.predictions import IMAGE_SIDE


def staged_forward(model: DigitNet, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """`model(x)`, step by step: the logits, and each conv stage's output (after its ReLU, before pooling)."""
    x = (x - model.mean) / model.std
    stage1 = model.stage1(x)
    stage2 = model.stage2(model.first_pool(stage1))
    stage3 = model.stage3(model.pool(stage2))
    x = model.dropout(torch.flatten(model.last_pool(stage3), 1))
    return model.head(x), [stage1, stage2, stage3]


def grad_cam(stage: torch.Tensor, gradient: torch.Tensor, side: int = IMAGE_SIDE) -> np.ndarray:
    """Grad-CAM of one image's (1, C, H, W) stage output, upsampled to side x side (not normalised)."""
    weights = gradient.mean(dim=(2, 3), keepdim=True)
    cam = F.relu((weights * stage).sum(dim=1, keepdim=True))
    return F.interpolate(cam, size=(side, side), mode="bilinear", align_corners=False)[0, 0].numpy()


def explain(model: DigitNet, verdict: Verdict, image: np.ndarray) -> Explanation:
    """What `model` computes for one preprocessed 28x28 image, with its answer as `verdict` gives it."""
    model_input = explained_input(image)
    with torch.enable_grad():
        logits, stages = staged_forward(model, torch.from_numpy(model_input)[None, None])
        prediction = verdict.predictions(logits.detach().numpy())[0]
        (gradient,) = torch.autograd.grad(logits[0, prediction.digit], stages[-1])
    cam = grad_cam(stages[-1].detach(), gradient)
    feature_maps = [s[0].detach().numpy() for s in stages]
    return Explanation(
        model_input=model_input,
        stages=tuple(FeatureMaps(stage_name(i, m), m) for i, m in enumerate(feature_maps, 1)),
        saliency=on_the_ink(cam, model_input),
        prediction=prediction,
    )
