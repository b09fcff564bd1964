"""The History page over a seeded in-memory repository."""

from __future__ import annotations

import base64
from dataclasses import replace

from digitrec.adapters.files.image_codec import decode_image


def shown_ids(at) -> list[int]:
    return [int(i) for i in at.dataframe[0].value["id"]]


def test_no_submissions_yet(app):
    at = app("history.py")
    assert "No submissions yet" in at.info[0].value
    assert not at.dataframe


def test_rows_are_newest_first_with_every_column(app, seed):
    seed(label=3, predicted=3, version="cnn-a", minutes_ago=5)
    seed(label=4, predicted=9, version="cnn-b", minutes_ago=1)
    at = app("history.py")
    table = at.dataframe[0].value
    assert shown_ids(at) == [2, 1]
    assert list(table.columns[:3]) == ["drawing", "true label", "predicted"]  # on a phone's screen too
    newest = table.iloc[0]
    assert (newest["predicted"], newest["true label"], bool(newest["correct"]), newest["version"]) == (
        "9",
        "4",
        False,
        "cnn-b",
    )
    assert abs(newest["confidence"] - 0.82) < 1e-9
    assert newest["when"] == "24 Nov 11:59"  # a time in words, whole (it was cut to "2026-11-24 11")
    thumbnail = newest["drawing"]
    assert thumbnail.startswith("data:image/png;base64,")
    assert decode_image(base64.b64decode(thumbnail.split(",", 1)[1])).shape[:2] == (280, 280)


def test_pages_of_ten(app, seed):
    for minutes_ago in range(25, 0, -1):
        seed(label=1, predicted=1, minutes_ago=minutes_ago)
    at = app("history.py")
    assert shown_ids(at) == list(range(25, 15, -1))
    assert at.pagination[0].num_pages == 3
    at.pagination[0].select(3).run()
    assert shown_ids(at) == [5, 4, 3, 2, 1]
    assert at.caption[0].value == "25 submissions, newest first: page 3 of 3"


def test_the_mistakes_filter_shows_only_what_the_model_got_wrong(app, seed):
    for i in range(12):
        seed(label=i % 10, predicted=(i + (i % 3 == 0)) % 10)  # ids 1, 4, 7, 10 are wrong
    at = app("history.py")
    at.toggle[0].set_value(True).run()
    assert shown_ids(at) == [10, 7, 4, 1]
    assert not any(at.dataframe[0].value["correct"])
    assert at.pagination[0].num_pages == 1
    assert at.caption[0].value == "4 mistakes, newest first: page 1 of 1"


def test_no_mistakes_yet(app, seed):
    seed(label=2, predicted=2)
    at = app("history.py")
    at.toggle[0].set_value(True).run()
    assert "No mistakes" in at.info[0].value


def test_what_this_tab_submitted_is_marked_yours_also_after_a_reload(app, draw, seed):
    seed(label=3, predicted=3)  # someone else's
    at = draw(app())
    at.session_state["submit"] = {"click": 0}  # Submit, as the button sends it (answered: 0)
    at.run()
    visitor = at.query_params["visitor"]
    at.switch_page("views/history.py").run()
    assert at.dataframe[0].value["yours"].tolist() == ["yours", ""]

    reloaded = app("history.py", query={"visitor": visitor})  # a new session, the same address
    assert reloaded.dataframe[0].value["yours"].tolist() == ["yours", ""]
    assert app("history.py").dataframe[0].value["yours"].tolist() == ["", ""]  # another tab


def test_a_written_number_is_one_row_with_its_digits_side_by_side(app, repo, seed):
    seed(label=5, predicted=5, minutes_ago=9)
    ids = [seed(label=d, predicted=p, minutes_ago=1) for d, p in ((4, 4), (2, 7))]
    for position, submission_id in enumerate(ids):
        number = replace(repo.get(submission_id), number_id="visitor00000000-n1", number_position=position)
        repo.replace_stored(number)
    at = app("history.py")

    table = at.dataframe[0].value
    assert table[["true label", "predicted"]].values.tolist() == [["42", "47"], ["5", "5"]]
    assert list(table["correct"]) == [False, True]
    picture = decode_image(base64.b64decode(table.iloc[0]["drawing"].split(",", 1)[1]))
    assert picture.shape[:2] == (280, 2 * (280 + 4))  # both digits' crops, side by side
