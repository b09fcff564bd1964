"""The trust check before fine-tuning (domain/trust.py), on made-up probabilities and embeddings: drawings of
one kind lie near each other in the embedding, as they do in the network's."""

import numpy as np
import pytest

from digitrec.domain.trust import VISITOR_CAP_MIN, decide_trust
from digitrec.domain.types.submissions import DOWN_WEIGHTED, HELD_BACK, TRUSTED, TrainingRow

PIXELS = np.zeros((28, 28), np.float32)


class Crowd:
    """Rows with the parent model's answer and an embedding near the centre of their kind of drawing."""

    def __init__(self, seed: int = 0):
        self.rng = np.random.default_rng(seed)
        self.centres = {}
        self.rows, self.probabilities, self.embeddings = [], [], []

    def send(self, n, kind, label, model_says, confidence=0.98, visitor=lambda i: f"v{i}", reviewed=False):
        centre = self.centres.setdefault(kind, self.rng.normal(size=32))
        for i in range(n):
            p = np.full(10, (1 - confidence) / 9)
            p[model_says] = confidence
            sender = visitor(i) if callable(visitor) else visitor
            self.rows.append(TrainingRow(len(self.rows) + 1, label, "ok", PIXELS, sender, reviewed))
            self.probabilities.append(p)
            self.embeddings.append(centre + self.rng.normal(scale=0.1, size=32))
        return self

    def decide(self, blocked=frozenset()):
        report = decide_trust(self.rows, np.array(self.probabilities), np.array(self.embeddings), blocked)
        return report, [d.decision for d in report.decisions]


def test_labels_the_model_agrees_with_are_trusted_and_the_operators_rows_always():
    crowd = Crowd().send(20, "seven", 7, 7).send(5, "two", 2, 8, visitor=None)
    report, decisions = crowd.decide()
    assert decisions == [TRUSTED] * 25
    assert report.decisions[0].reason.startswith("the model agrees") and report.decisions[0].weight == 1
    assert report.decisions[-1].reason == "the operator's own data"


def test_one_visitor_labelling_sevens_as_ones_is_held_back_while_honest_sevens_are_trusted():
    crowd = Crowd().send(40, "seven", 7, 7).send(40, "one", 1, 1)
    crowd.send(30, "seven", 1, 7, visitor="attacker")
    report, decisions = crowd.decide()
    assert decisions[:80] == [TRUSTED] * 80
    assert decisions[80:] == [HELD_BACK] * 30
    assert all("the model says 7" in d.reason and d.weight == 0 for d in report.decisions[80:])
    assert report.counts() == {TRUSTED: 80, HELD_BACK: 30}


def test_an_attack_from_many_fresh_visitor_ids_is_held_back_when_honest_drawings_contradict_it():
    crowd = Crowd().send(40, "seven", 7, 7).send(30, "seven", 1, 7, visitor=lambda i: f"fresh{i}")
    _, decisions = crowd.decide()
    assert decisions[40:] == [HELD_BACK] * 30


def test_a_new_way_of_writing_sent_by_many_visitors_is_learned_even_against_a_confident_model():
    """Hooked 9s the model reads as 3 at 97%, labelled 9 by 30 visitors, and no similar drawing says 3."""
    crowd = Crowd().send(30, "three", 3, 3).send(30, "hooked nine", 9, 3, confidence=0.97)
    report, decisions = crowd.decide()
    assert decisions == [TRUSTED] * 60
    assert "a new way of writing 9?" in report.decisions[-1].reason
    assert dict(report.by_reason())[(TRUSTED, "similar drawings agree")] == 30


def test_the_same_new_style_from_one_visitor_alone_is_not_trusted():
    crowd = Crowd().send(30, "three", 3, 3).send(30, "hooked nine", 9, 3, confidence=0.97, visitor="one")
    _, decisions = crowd.decide()
    assert TRUSTED not in decisions[30:]


def test_careless_random_labels_are_held_back_and_true_ones_kept():
    crowd = Crowd()
    for digit in range(10):
        crowd.send(20, f"digit {digit}", digit, digit)
    wrong = [(digit + 3) % 10 for digit in range(10)]
    for digit in range(10):
        crowd.send(2, f"digit {digit}", wrong[digit], digit)
    _, decisions = crowd.decide()
    assert decisions[:200] == [TRUSTED] * 200 and decisions[200:] == [HELD_BACK] * 20


def test_a_blocked_visitors_drawings_are_held_back_even_when_right():
    crowd = Crowd().send(10, "seven", 7, 7, visitor="pest").send(10, "seven", 7, 7)
    report, decisions = crowd.decide(blocked={"pest"})
    assert decisions == [HELD_BACK] * 10 + [TRUSTED] * 10
    assert report.decisions[0].reason == "visitor pest is blocked"


def test_no_visitor_counts_for_more_than_a_capped_share_of_a_digit():
    crowd = Crowd().send(60, "two", 2, 2).send(40, "two", 2, 2, visitor="eager")
    report, decisions = crowd.decide()
    assert decisions[:60] == [TRUSTED] * 60 and decisions[60:] == [DOWN_WEIGHTED] * 40
    weights = report.weights()
    cap = max(VISITOR_CAP_MIN, 0.1 * 100)
    assert weights[60:].sum() == pytest.approx(cap)
    assert "visitor eager sent 40 of the 100" in report.decisions[-1].reason


def test_reviewed_rows_are_trusted_whatever_the_model_says():
    crowd = Crowd().send(10, "seven", 1, 7, visitor=lambda i: f"v{i}", reviewed=True)
    report, decisions = crowd.decide()
    assert decisions == [TRUSTED] * 10 and report.decisions[0].reason == "reviewed by an operator"
