"""The Review page as a visitor and as an operator: what is listed and why, and each review action."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from digitrec.adapters.files.image_codec import encode_png
from digitrec.domain.types.predictions import Prediction
from digitrec.domain.types.submissions import EXCLUDED, NOT_A_DIGIT, OK


def sure(digit: int, confidence: float, is_digit: bool = True) -> Prediction:
    rest = (1 - confidence) / 9
    return Prediction(digit, tuple(confidence if d == digit else rest for d in range(10)), is_digit)


@pytest.fixture
def suspicious(repo, seed):
    """#1 agrees; #2: label 3, the model says 5 at 97%; #3: the model says it is not a digit."""
    ids = [seed(label=1, predicted=1) for _ in range(3)]  # the same drawing three times...
    for n, submission_id in enumerate(ids):  # ...made three different ones
        pixels = np.zeros((28, 28), np.uint8)
        pixels[n, n] = 255
        repo.replace_stored(replace(repo.get(submission_id), image_png=encode_png(pixels)))
    repo.replace_stored(replace(repo.get(ids[1]), label=3, prediction=sure(5, 0.97)))
    repo.replace_stored(replace(repo.get(ids[2]), label=0, prediction=sure(0, 0.6, is_digit=False)))
    return ids


def cards(at) -> list[str]:
    return [m.value for m in at.markdown if m.value.startswith("**#")]


def test_a_visitor_sees_what_needs_review_and_why_but_no_buttons(app, suspicious):
    at = app("review.py")

    assert [card.split(" ·")[0] for card in cards(at)] == ["**#2**", "**#3**"]  # most likely wrong first
    reasons = [m.value for m in at.markdown if m.value.startswith("- ")]
    assert reasons == ["- the model says 5 at 97%, the label says 3", "- the model said it is not a digit"]
    assert [b.label for b in at.button] == ["Sign in"] and "Sign in as an operator" in at.caption[0].value


def test_nothing_to_review(app, seed):
    seed(label=1, predicted=1)
    assert "Nothing to review" in app("review.py").success[0].value


def test_an_operator_relabels_and_the_old_label_stays_in_the_history(
    app, repo, container, suspicious, sign_in
):
    at = sign_in(app("review.py"))
    at.selectbox(key="label-2").select(5)
    at.button(key="relabel-2").click().run()

    assert repo.get(2).label == 5 and repo.get(2).status == OK
    [entry] = container.reviews().review_history(2)
    assert entry.operator == "ann" and entry.detail == "#2: label 3 -> 5"
    assert [card.split(" ·")[0] for card in cards(at)] == ["**#3**"]  # reviewed: off the list
    assert at.dataframe[0].value["what"].tolist() == ["#2: label 3 -> 5"]


@pytest.mark.parametrize(
    ("button", "status"), [("exclude", EXCLUDED), ("not_digit", NOT_A_DIGIT), ("accept", OK)]
)
def test_an_operator_excludes_marks_or_accepts(app, repo, suspicious, sign_in, button, status):
    at = sign_in(app("review.py"))
    at.button(key=f"{button}-3").click().run()

    assert not at.exception and repo.get(3).status == status and repo.get(3).label == 0
    assert [card.split(" ·")[0] for card in cards(at)] == ["**#2**"]


@pytest.fixture
def attacked(repo, seed):
    """Visitor "attacker" sent three 7s labelled 1 (the model: 7 at 97%); visitor "honest" one 3 as 8."""
    ids = []
    for n, (visitor, label, said) in enumerate([("attacker", 1, 7)] * 3 + [("honest", 3, 8)]):
        pixels = np.zeros((28, 28), np.uint8)
        pixels[n, n] = 255
        submission_id = seed(label=label, predicted=said)
        repo.replace_stored(
            replace(repo.get(submission_id), image_png=encode_png(pixels), prediction=sure(said, 0.97),
                    visitor=visitor)
        )  # fmt: skip
        ids.append(submission_id)
    return ids


def test_the_queue_is_grouped_by_visitor_with_what_each_sent(app, attacked):
    at = app("review.py")
    headings = [h.value for h in at.subheader]
    assert headings[:2] == [
        "visitor attacker: 3 drawings, 3 against the model",
        "visitor honest: 1 drawings, 1 against the model",
    ]
    assert "likely wrong" in cards(at)[0]


def test_an_operator_excludes_a_visitors_drawings_together_and_blocks_the_visitor(
    app, repo, container, attacked, sign_in
):
    at = sign_in(app("review.py"))
    at.button(key="exclude-visitor-attacker").click().run()
    assert not at.exception
    assert [repo.get(i).status for i in attacked] == [EXCLUDED] * 3 + [OK]
    assert [card.split(" ·")[0] for card in cards(at)] == ["**#4**"]  # only the honest visitor's is left

    at.button(key="block-honest").click().run()
    assert repo.blocked_visitors() == {"honest"} and "blocked" in at.subheader[0].value
    actions = [(e.action, e.detail) for e in container.reviews().entries(10)]
    assert actions == [
        ("block visitor", "visitor honest: what they send is stored, never trained on"),
        ("exclude visitor", "visitor attacker: 3 drawings excluded from training"),
    ]


def test_without_an_operator_password_review_does_not_ask_anyone_to_sign_in(app, container, suspicious):
    container.config.admin_password.from_value(None)
    at = app("review.py")
    hint = at.caption[0].value
    assert "Operator actions are off here" in hint and "Sign in" not in hint
    assert "trained 24 November 2026, 00:00 UTC" in [c.value for c in at.sidebar.caption]  # the fake model
