"""The Draw page with a fake classifier (always 7, 91%) and an in-memory repository."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, datetime

import numpy as np
import pytest
from dependency_injector import providers

from digitrec.adapters.files.image_codec import decode_image
from digitrec.adapters.memory.repository import InMemorySubmissionRepository
from digitrec.domain.submitting import RATE_LIMITS
from digitrec.domain.types.errors import ModelNotFound, StorageUnavailable
from digitrec.domain.types.explanations import Explanation, FeatureMaps, feature_grid
from digitrec.domain.types.predictions import Prediction
from digitrec.domain.types.submissions import Submission
from digitrec.entrypoints.webapp.components.bars import TOP_BAR
from digitrec.entrypoints.webapp.components.inside_model import GRID_WIDTH, enlarged, stage_picture


class UnreachableRepository(InMemorySubmissionRepository):
    """A repository whose database went away: nothing can be stored."""

    def add(self, submission: Submission) -> int:
        raise StorageUnavailable("submission database sqlite:///gone.db is unavailable: disk I/O error")


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def bars(at) -> list[tuple[str, float]]:
    """The probability bars on the page: (digit, percent as shown in its tooltip)."""
    *phone, chart = [h.proto.body for h in at.get("html") if 'class="digitrec-bars' in h.proto.body]
    assert phone in ([], [chart])  # the same bars under the verdict for a phone (CSS shows one or the other)
    return [(d, float(p)) for d, p in re.findall(r'title="(\d): ([\d.]+)%', chart)]


class SubmitButton:
    """The Submit component as AppTest sees it: the data the page gave it, and a click as the browser sends
    it (the trigger carries the count of answered clicks the button saw)."""

    def __init__(self, at):
        self.at = at
        (self.element,) = [e for e in at.main if getattr(e, "key", None) == "submit"]
        self.data = json.loads(self.element.proto.json)

    @property
    def disabled(self) -> bool:
        return not self.data["enabled"]

    def click(self, answered: int | None = None):
        self.at.session_state["submit"] = {"click": self.data["answered"] if answered is None else answered}
        return self.at


def submit_button(at) -> SubmitButton:
    return SubmitButton(at)


def test_an_empty_canvas_gives_a_hint_no_prediction_and_no_submit(app, fake_classifier):
    at = app()
    assert "Draw a digit" in at.info[0].value
    assert "Predicted digit" not in metrics(at)
    assert submit_button(at).disabled
    assert fake_classifier.seen == []
    assert bars(at) == [(str(d), 0.0) for d in range(10)]  # in place, so nothing loads on the first drawing


def test_a_drawing_shows_the_prediction_confidence_probabilities_and_model_input(app, draw, fake_classifier):
    at = draw(app())
    assert metrics(at)["Predicted digit"] == "7"
    assert metrics(at)["Confidence"] == "91.0%"
    assert bars(at) == [(str(d), 91.0 if d == 7 else 1.0) for d in range(10)]
    assert len(at.image) == 2  # the 28x28 input the model saw, for a phone and for a wide screen
    assert len(fake_classifier.seen) == 1 and fake_classifier.seen[0].shape == (28, 28)
    assert at.segmented_control[0].value == 7  # the true label defaults to the prediction
    assert not submit_button(at).disabled


def test_submit_stores_the_drawing_with_the_chosen_label_then_clears_the_canvas(app, draw, repo):
    at = draw(app())
    at.segmented_control[0].set_value(1).run()
    submit_button(at).click().run()

    assert not at.exception
    stored = repo.get(1)
    assert stored is not None and stored.label == 1 and stored.prediction.digit == 7
    assert stored.model_version == "fake-v1"
    assert stored.prediction.probabilities[7] == 0.91 and stored.model_input.shape == (28, 28)
    drawing = decode_image(stored.image_png)
    assert drawing.shape[:2] == (280, 280)
    assert drawing[140, 137, 0] == 255 and drawing[140, 40, 0] == 0  # ink on the stroke, none beside it
    assert "#1" in at.success[0].value
    assert at.session_state["canvas_round"] == 1  # a new canvas key: the canvas is empty again
    assert "Predicted digit" not in metrics(at)
    assert submit_button(at).disabled


def test_a_storage_failure_shows_a_banner_and_keeps_the_drawing(app, draw, container):
    container.submissions.override(UnreachableRepository())
    at = draw(app())
    submit_button(at).click().run()

    assert "was not saved" in at.error[0].value and "disk I/O error" in at.error[0].value
    assert at.session_state["canvas_round"] == 0  # same canvas key: the drawing stays on it
    assert metrics(at)["Predicted digit"] == "7"
    assert not at.success


def test_clear_gives_a_new_empty_canvas(app, draw):
    at = draw(app())
    next(b for b in at.button if b.label == "Clear").click().run()
    assert at.session_state["canvas_round"] == 1
    assert "Predicted digit" not in metrics(at)


def test_a_missing_model_says_how_to_train_or_where_to_put_one(app, container):
    def no_model():
        raise ModelNotFound("no model at /nowhere/digitnet.pt")

    container.classifier.override(providers.Callable(no_model))
    at = app()
    assert "no model at /nowhere/digitnet.pt" in at.error[0].value
    shown = " ".join(i.value for i in at.info) + " ".join(c.value for c in at.sidebar.caption)
    assert "digitrec train" in shown and "DIGITREC_MODEL" in shown


def test_the_sidebar_names_the_live_model(app):
    at = app()
    assert "fake-v1" in " ".join(m.value for m in at.sidebar.markdown)
    assert at.sidebar.metric[0].value == "99.50%"


def test_a_drawing_too_faint_to_read_counts_as_empty(app, draw):
    at = draw(app(), strokes=[(slice(10, 11), slice(10, 11))])
    assert "Draw a digit" in at.info[0].value and not at.warning  # a stray pixel is no drawing yet
    assert "Predicted digit" not in metrics(at)
    assert submit_button(at).disabled


def test_a_drawing_that_is_not_a_digit_says_so_with_the_best_guess_and_can_still_be_submitted(
    app, draw, container, repo, not_a_digit_classifier
):
    container.classifier.override(not_a_digit_classifier)
    at = draw(app())
    assert "This doesn't look like a digit" in [s.value for s in at.subheader]
    assert "If it is a digit at all, it looks most like a 4." in [c.value for c in at.caption]
    assert not any("38%" in c.value for c in at.caption)  # no confidence beside "not a digit"
    assert "Predicted digit" not in metrics(at) and "Confidence" not in metrics(at)
    assert bars(at) == [(str(d), 38.0 if d == 4 else 6.9) for d in range(10)]  # still all ten, but faded
    chart = [h.proto.body for h in at.get("html") if 'class="digitrec-bars' in h.proto.body][-1]
    assert 'class="digitrec-bars muted"' in chart and TOP_BAR not in chart and "if it were a digit" in chart
    assert len(at.image) == 2  # and the 28x28 input the model saw (for a phone, for a wide screen)
    assert at.segmented_control[0].value is None  # no label is suggested for what may be no digit
    assert submit_button(at).disabled

    at.segmented_control[0].set_value(8).run()
    submit_button(at).click().run()
    assert not at.exception
    stored = repo.get(1)
    assert stored is not None and stored.label == 8 and stored.prediction.digit == 4
    assert "#1" in at.success[0].value and at.session_state["canvas_round"] == 1


A_SEVEN = [(slice(60, 80), slice(80, 220)), (slice(60, 220), slice(190, 210))]


def test_a_picked_label_is_never_replaced_when_the_prediction_changes(app, draw, fake_classifier):
    at = draw(app())
    at.segmented_control[0].set_value(9).run()
    fake_classifier.digit = 4  # another stroke, and the model changes its mind
    at = draw(at, strokes=A_SEVEN)

    assert metrics(at)["Predicted digit"] == "4"
    assert at.segmented_control[0].value == 9


def test_a_label_not_picked_follows_the_prediction(app, draw, fake_classifier):
    at = draw(app())
    fake_classifier.digit = 4
    at = draw(at, strokes=A_SEVEN)

    assert at.segmented_control[0].value == 4


@pytest.mark.parametrize(
    "strokes",
    [
        [(slice(130, 150), slice(130, 150))],  # a tap: a dot as wide as the brush
        [(slice(100, 140), slice(100, 140))],  # a blob
        [(slice(140, 150), slice(140, 143))],  # a tiny scribble
    ],
)
def test_too_little_ink_asks_for_a_bigger_digit_instead_of_a_prediction(app, draw, fake_classifier, strokes):
    at = draw(app(), strokes=strokes)

    assert "Draw a bigger digit" in at.warning[0].value
    assert "Predicted digit" not in metrics(at)
    assert submit_button(at).disabled
    assert fake_classifier.seen == []


def test_the_drawing_sent_again_after_submit_is_not_stored_again(app, draw, repo):
    """The browser clears the canvas after Submit; until the clearing arrives it may send the old drawing
    again (a second click, a rerun): nothing is stored twice and the page confirms the first id."""
    at = draw(app())
    submit_button(at).click().run()
    at = draw(at)  # the same drawing, as a browser that has not cleared yet sends it

    assert "Predicted digit" not in metrics(at) and submit_button(at).disabled
    assert repo.count() == 1 and "#1" in at.success[0].value


def test_each_canvas_has_its_own_submit_token_starting_with_the_tabs_key(app, draw, repo):
    at = draw(app())
    submit_button(at).click().run()
    at = draw(at, strokes=A_SEVEN)
    submit_button(at).click().run()

    first, second = repo.get(1).submit_token, repo.get(2).submit_token
    assert first != second
    assert first.startswith(at.query_params["visitor"] + "-") and second.startswith(
        at.query_params["visitor"]
    )


def test_a_new_drawing_after_clear_is_recognised(app, draw):
    at = draw(app())
    next(b for b in at.button if b.label == "Clear").click().run()
    assert "Predicted digit" not in metrics(at)  # the old drawing is ignored even if sent again

    at = draw(at, strokes=A_SEVEN)
    assert metrics(at)["Predicted digit"] == "7"


@pytest.mark.parametrize("how", ["Clear", "Submit"])
def test_the_same_stroke_again_after_the_canvas_emptied_is_recognised(app, draw, how):
    at = draw(app())
    if how == "Clear":
        next(b for b in at.button if b.label == "Clear").click().run()
    else:
        submit_button(at).click().run()
    at = draw(at)  # the browser sends the old drawing again before the clearing reaches it: ignored
    assert "Predicted digit" not in metrics(at)
    at = draw(at, strokes=[])  # the cleared canvas, empty, as the component sends it after clearing
    at = draw(at)  # then the visitor draws the very same stroke
    assert "Predicted digit" in metrics(at)


def test_a_click_that_arrives_after_its_answer_is_ignored(app, draw, repo):
    """A repeated click queued behind the first carries the answer count the button saw then."""
    at = draw(app())
    submit_button(at).click().run()
    assert submit_button(at).data["answered"] == 1
    at = draw(at, strokes=A_SEVEN)
    submit_button(at).click(answered=0).run()  # the stale repeat

    assert repo.count() == 1 and metrics(at)["Predicted digit"] == "7"


class ExplainingClassifier:
    """The fake classifier plus an `explain` that remembers what it was asked about and makes up an inside:
    two stages, a saliency, and a top three of 7, 1, 9."""

    def __init__(self, classifier):
        self.classifier, self.explained = classifier, []

    def __getattr__(self, name):  # info, predict, predict_batch: the fake classifier's
        return getattr(self.classifier, name)

    def explain(self, image: np.ndarray) -> Explanation:
        self.explained.append(image)
        probabilities, rng = np.full(10, 0.01 / 7), np.random.default_rng(0)
        probabilities[[7, 1, 9]] = 0.91, 0.05, 0.03
        maps = (rng.random((4, 14, 14), dtype=np.float32), rng.random((8, 7, 7), dtype=np.float32))
        stages = (FeatureMaps("stage 1 (4 x 14x14)", maps[0]), FeatureMaps("stage 2 (8 x 7x7)", maps[1]))
        saliency = rng.random((28, 28), dtype=np.float32)
        return Explanation(image, stages, saliency, Prediction.from_probabilities(probabilities))


@pytest.fixture
def explaining(container, fake_classifier) -> ExplainingClassifier:
    container.classifier.override(classifier := ExplainingClassifier(fake_classifier))
    return classifier


def inside_toggle(at):
    return at.toggle(key="inside_model")


def captions(at) -> list[str]:
    """The pictures' captions, but the phone's small copy of the model's input (it has none)."""
    return [caption for image in at.image for caption in image.captions if caption]


def top_three(at) -> list[tuple[str, str]]:
    """The top three as the page shows them, (digit, percent); [] when it does not."""
    shown = [m.value for m in at.markdown if m.value.startswith("Top three")]
    return re.findall(r"\*\*(\d)\*\* ([\d.]+)%", shown[0]) if shown else []


def test_inside_the_model_is_not_computed_while_it_is_closed(app, draw, explaining):
    at = app()
    assert inside_toggle(at).value is False and inside_toggle(at).disabled  # no drawing: nothing to open
    at = draw(draw(at), strokes=A_SEVEN)

    assert inside_toggle(at).value is False and not inside_toggle(at).disabled
    assert explaining.explained == [] and len(explaining.classifier.seen) == 2  # both drawings were predicted
    assert captions(at) == ["what the model saw"] and top_three(at) == []


def test_opened_it_shows_the_top_three_the_input_beside_its_saliency_and_each_stage(app, draw, explaining):
    at = draw(app())
    inside_toggle(at).set_value(True).run()

    assert not at.exception and len(explaining.explained) == 1
    np.testing.assert_array_equal(
        explaining.explained[0], explaining.classifier.seen[-1]
    )  # what it predicted
    assert top_three(at) == [("7", "91.0"), ("1", "5.0"), ("9", "3.0")]
    pictures = ["28x28 input", "what made it say 7", "stage 1 (4 x 14x14)", "stage 2 (8 x 7x7)"]
    assert captions(at) == ["what the model saw", *pictures]
    assert all(image.value[0].endswith(".png") for image in at.image[2:])  # lossless: sharp square pixels


def test_the_pictures_have_square_pixels_and_one_pixel_gaps():
    maps = np.random.default_rng(0).random((128, 7, 7), dtype=np.float32)
    picture = stage_picture(FeatureMaps("stage 3 (128 x 7x7)", maps))
    assert picture.shape == (3 * (8 * 7 + 7), 3 * (16 * 7 + 15))  # 16 maps to a row, each pixel 3x3
    assert picture.shape[1] <= GRID_WIDTH
    np.testing.assert_array_equal(picture, enlarged(feature_grid(maps, 16), 3))


@pytest.mark.parametrize(("count", "side"), [(32, 14), (64, 14), (128, 7)])
def test_every_stage_of_the_shipped_network_draws_its_maps_big_enough_to_see(count, side):
    maps = np.random.default_rng(0).random((count, side, side), dtype=np.float32)
    picture = stage_picture(FeatureMaps(f"stage ({count} x {side}x{side})", maps))
    columns = 8 if count <= 64 else 16
    scale = picture.shape[1] // (columns * (side + 1) - 1)  # screen pixels per map pixel
    assert scale >= 3 and picture.shape[1] <= GRID_WIDTH  # stage 2's 64 maps were drawn 1:1, 15 px each
    assert enlarged(np.array([[0.0, 1.0]]), 2).tolist() == [[0.0, 0.0, 1.0, 1.0]] * 2


def test_it_stays_open_for_the_next_drawing_and_waits_while_the_canvas_is_empty(app, draw, explaining):
    at = draw(app())
    inside_toggle(at).set_value(True).run()
    submit_button(at).click().run()  # a new, empty canvas
    assert inside_toggle(at).value is True and inside_toggle(at).disabled
    assert len(explaining.explained) == 1 and top_three(at) == []

    at = draw(at, strokes=A_SEVEN)
    assert len(explaining.explained) == 2 and top_three(at)[0] == ("7", "91.0")


def test_a_model_that_cannot_explain_says_so_instead_of_failing(app, draw):
    at = draw(app())  # the plain fake classifier has no explain()
    inside_toggle(at).set_value(True).run()
    assert not at.exception and "cannot show what is inside it" in at.info[0].value
    assert metrics(at)["Predicted digit"] == "7"


def test_submissions_record_the_tabs_visitor_key(app, draw, repo):
    at = draw(app())
    submit_button(at).click().run()
    assert repo.get(1).visitor == at.query_params["visitor"] and not repo.get(1).reviewed


def test_a_visitor_sending_too_fast_is_told_to_wait_and_keeps_the_drawing(app, draw, repo, seed):
    at = draw(app(query={"visitor": "0123456789abcdef"}))
    for _ in range(RATE_LIMITS[0][1]):  # as many as a minute allows, just now
        submission_id = seed(label=1, predicted=1)
        repo.replace_stored(
            replace(repo.get(submission_id), visitor="0123456789abcdef", created_at=datetime.now(UTC))
        )
    submit_button(at).click().run()

    assert not at.exception and repo.count() == RATE_LIMITS[0][1]  # nothing more stored, nothing lost
    assert "Not saved: you have sent 20 drawings in the last minute" in at.error[0].value
    assert "Predicted digit" in metrics(at)  # the drawing is still on the canvas, ready to send later


def test_a_malformed_visitor_key_in_the_address_is_replaced_and_said_so(app, draw, repo):
    at = app(query={"visitor": "<script>"})
    assert "The visitor key in the address ('<script>') is not one this app makes" in at.warning[0].value
    new_key = at.query_params["visitor"]
    assert new_key != "<script>" and len(new_key) == 16
    submit_button(draw(at)).click().run()
    assert repo.get(1).visitor == new_key
