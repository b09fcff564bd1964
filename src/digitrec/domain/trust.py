"""Trust before training: which crowd labels a fine-tune may learn from. Standard library and numpy only.

A crowd label (sent by a visitor, not reviewed) gets one of three decisions, with its reason:
- trusted: the parent model agrees with it, or similar drawings sent by several *other* visitors carry the
  same label and none of them says what the model says (a new way of writing, learned from many people);
- held back: the model disagrees, and similar drawings by other visitors are labelled as the model says (or
  carry neither label): the signature of a wrong label; never trained on until an operator confirms it;
- down-weighted: the evidence is mixed; trained on at DOWN_WEIGHT.
Then no visitor counts for more than VISITOR_CAP of a digit's crowd drawings: one sender's extra drawings
are down-weighted so that together they weigh that much. An operator's own rows and reviewed rows are
trusted; a blocked visitor's rows are held back.

The parent model never saw the submissions, so its probabilities are out-of-sample (what confident
learning gets from cross-validation). "Similar" means nearest neighbours in the parent's own embedding.
The measurements behind these numbers are in benchmarks/bench_crowd.py.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from digitrec.domain.types.submissions import (
    DOWN_WEIGHTED,
    HELD_BACK,
    TRUST_DECISIONS,
    TRUSTED,
    TrainingRow,
    Trust,
)

AGREEMENT_FLOOR = (
    0.25  # a label the model gives less than this never counts as agreed, whatever its class's mean
)
NEIGHBOURS = 10  # similar drawings by other senders looked at for each crowd label the model disputes
NEW_STYLE_SUPPORT = 0.6  # share of them with the same label that makes a disputed label a new style...
NEW_STYLE_SENDERS = 3  # ...when they come from at least this many other senders...
NEW_STYLE_CONTRA = 0.2  # ...and at most this share says what the model says
CONTRADICTED = 0.3  # this share of neighbours labelled as the model says: the label is held back
UNSUPPORTED = 0.2  # fewer neighbours than this with the same label: held back too
DOWN_WEIGHT = 0.25  # what a down-weighted drawing counts
VISITOR_CAP = 0.1  # at most this share of a digit's crowd drawings from one sender...
VISITOR_CAP_MIN = 5  # ...but a sender may always count for this many drawings


@dataclass(frozen=True)
class TrustReport:
    """The decisions, in the order of the rows checked, and how many of each by reason kind."""

    decisions: tuple[Trust, ...]
    kinds: tuple[str, ...]  # a short name of each decision's reason, for counting

    def weights(self) -> np.ndarray:
        return np.array([d.weight for d in self.decisions], np.float32)

    def counts(self) -> dict[str, int]:
        return dict(Counter(d.decision for d in self.decisions))

    def by_reason(self) -> dict[tuple[str, str], int]:
        """(decision, reason kind) -> how many, most first."""
        pairs = Counter(zip((d.decision for d in self.decisions), self.kinds, strict=True))
        return dict(sorted(pairs.items(), key=lambda item: (TRUST_DECISIONS.index(item[0][0]), -item[1])))


def per_class_thresholds(probabilities: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Confident learning's thresholds: for each digit, the model's mean probability of it over the drawings
    labelled with it (1.0 where none is: no label reaches it by probability alone). A label the model gives
    at least its class's threshold counts as agreed with; a class made only of wrong labels has a tiny mean,
    so AGREEMENT_FLOOR bounds it from below."""
    thresholds = np.ones(probabilities.shape[1], np.float64)
    for digit in range(probabilities.shape[1]):
        if (labels == digit).any():
            thresholds[digit] = probabilities[labels == digit, digit].mean()
    return thresholds


def neighbours_by_others(embeddings: np.ndarray, senders: Sequence[str], rows: np.ndarray, k: int):
    """For each index in `rows`, the indices of its `k` nearest drawings (cosine) sent by someone else."""
    unit = embeddings / np.maximum(np.linalg.norm(embeddings, axis=1, keepdims=True), 1e-12)
    sender_ids = np.unique(np.asarray(senders), return_inverse=True)[1]
    found = []
    for start in range(0, len(rows), 512):
        chunk = rows[start : start + 512]
        similarity = unit[chunk] @ unit.T
        similarity[sender_ids[chunk][:, None] == sender_ids[None, :]] = -np.inf
        nearest = np.argsort(-similarity, axis=1)[:, :k]
        found.extend(n[np.isfinite(similarity[i, n])] for i, n in enumerate(nearest))
    return found


def decide_trust(
    rows: Sequence[TrainingRow],
    probabilities: np.ndarray,
    embeddings: np.ndarray,
    blocked: frozenset[str] | set[str] = frozenset(),
) -> TrustReport:
    """A decision for every row (see the module's docstring). `probabilities` (N, 10) are the parent's
    digit probabilities, `embeddings` (N, D) its features of the same drawings."""
    n = len(rows)
    labels = np.array([r.label for r in rows], np.int64)
    probabilities = np.asarray(probabilities, np.float64).reshape(n, -1)
    thresholds = per_class_thresholds(probabilities, labels)
    senders = [r.visitor if r.visitor is not None else f"operator:{r.id}" for r in rows]
    decisions: list[Trust | None] = [None] * n
    kinds = [""] * n

    def decide(i: int, decision: str, kind: str, reason: str, suspicion: float, weight: float) -> None:
        decisions[i], kinds[i] = Trust(decision, reason, round(suspicion, 4), weight), kind

    disputed = []
    for i, row in enumerate(rows):
        p, said = probabilities[i], int(probabilities[i].argmax())
        wrong = float(1 - p[row.label])
        if not row.from_crowd:
            why = "reviewed by an operator" if row.reviewed else "the operator's own data"
            decide(i, TRUSTED, "operator", why, 0.0, 1.0)
        elif row.visitor in blocked:
            decide(i, HELD_BACK, "blocked", f"visitor {row.visitor} is blocked", wrong, 0.0)
        elif said == row.label or p[row.label] >= max(thresholds[row.label], AGREEMENT_FLOOR):
            decide(i, TRUSTED, "model agrees", f"the model agrees ({100 * p[row.label]:.0f}%)", wrong, 1.0)
        else:
            disputed.append(i)
    embeddings = np.asarray(embeddings, np.float32).reshape(n, -1)
    others = neighbours_by_others(embeddings, senders, np.array(disputed, np.int64), NEIGHBOURS)
    for i, near in zip(disputed, others, strict=True):
        decide(i, *disputed_decision(rows[i].label, probabilities[i], near, labels, senders))
    cap_senders(rows, decisions, kinds)
    return TrustReport(tuple(d for d in decisions if d is not None), tuple(kinds))


def disputed_decision(
    label: int, p: np.ndarray, near: np.ndarray, labels: np.ndarray, senders: Sequence[str]
) -> tuple[str, str, str, float, float]:
    """(decision, kind, reason, suspicion, weight) for a label the model disputes (`p`: its probabilities),
    from the labels of `near`, the most similar drawings sent by others."""
    said = int(p.argmax())
    p_said = 100 * p[said]
    same = near[labels[near] == label] if len(near) else near
    support = len(same) / max(len(near), 1)
    contra = float((labels[near] == said).mean()) if len(near) else 0.0
    vouching = len({senders[j] for j in same})
    suspicion = float(1 - p[label]) * (1 - support / 2)
    alike = f"{len(same)} of {len(near)} similar drawings by others say {label}"
    if support >= NEW_STYLE_SUPPORT and vouching >= NEW_STYLE_SENDERS and contra <= NEW_STYLE_CONTRA:
        why = f"a new way of writing {label}? the model says {said} ({p_said:.0f}%), but {alike}"
        return TRUSTED, "similar drawings agree", f"{why} ({vouching} senders)", suspicion, 1.0
    if contra >= CONTRADICTED or support < UNSUPPORTED:
        why = f"the model says {said} ({p_said:.0f}%); {alike}, {round(contra * len(near))} say {said}"
        return HELD_BACK, "model and similar drawings disagree", why, suspicion, 0.0
    why = f"the model says {said} ({p_said:.0f}%); {alike}"
    return DOWN_WEIGHTED, "mixed evidence", why, suspicion, DOWN_WEIGHT


def cap_senders(rows: Sequence[TrainingRow], decisions: list, kinds: list[str]) -> None:
    """Down-weight the drawings of any visitor who sent more than VISITOR_CAP of a digit's crowd drawings
    (that the other rules let through), so that together they count for that share."""
    counted: dict[int, Counter] = defaultdict(Counter)
    for row, decision in zip(rows, decisions, strict=True):
        if row.from_crowd and decision.weight > 0:
            counted[row.label][row.visitor] += 1
    for i, (row, decision) in enumerate(zip(rows, decisions, strict=True)):
        if not (row.from_crowd and decision.weight > 0):
            continue
        per_visitor, total = counted[row.label], sum(counted[row.label].values())
        cap = max(VISITOR_CAP_MIN, VISITOR_CAP * total)
        sent = per_visitor[row.visitor]
        if sent > cap:
            reason = (
                f"visitor {row.visitor} sent {sent} of the {total} crowd drawings labelled {row.label}: "
                f"together they count as {cap:.0f}"
            )
            decisions[i] = Trust(DOWN_WEIGHTED, reason, decision.suspicion, decision.weight * cap / sent)
            kinds[i] = "one sender's share capped"
