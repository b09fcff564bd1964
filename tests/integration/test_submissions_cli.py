"""`digitrec submissions export|import|stats` and `digitrec db upgrade` through click's CliRunner, on SQLite
files in tmp_path and on PostgreSQL."""

from __future__ import annotations

import csv
import json
import socket
import sqlite3
import subprocess
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from click.testing import CliRunner

from digitrec.adapters.files.image_codec import decode_image, encode_png
from digitrec.adapters.files.labelled_folder import read_labelled_folder
from digitrec.adapters.sql.engine import create_sql_engine
from digitrec.adapters.sql.repository import SqlSubmissionRepository
from digitrec.adapters.sql.reviews import SqlReviews
from digitrec.adapters.sql.schema import upgrade_database
from digitrec.containers import Container
from digitrec.domain.preprocessing import preprocess_canvas
from digitrec.domain.types.predictions import Prediction
from digitrec.domain.types.reviews import EXCLUDE, RELABEL, Review
from digitrec.domain.types.submissions import Submission
from digitrec.entrypoints.cli import cli

START = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
COLUMNS = ["file", "label", "predicted", "model_version", "created_at", "probabilities", "is_digit", "status"]
COLUMNS += ["number_id", "number_position", "visitor", "reviewed"]


def digitrec(*args, container: Container | None = None):
    args = [str(a) for a in args]
    return CliRunner().invoke(cli, args, obj=container or Container(), catch_exceptions=False)


def drawing(seed: int) -> bytes:
    """A canvas as the app stores it: a white bar on black, somewhere different for every seed."""
    pixels = np.zeros((280, 280), np.uint8)
    top, left = 20 + seed * 7 % 100, 40 + seed * 13 % 180
    pixels[top : top + 150, left : left + 20 + seed % 15] = 255
    return encode_png(pixels)


def app_submission(seed: int, label: int, predicted: int, hours: int = 0) -> Submission:
    """What the Draw page stores: the model input is the canvas, preprocessed."""
    png = drawing(seed)
    probabilities = np.full(10, 0.02)
    probabilities[predicted] = 0.82
    return Submission(
        image_png=png,
        model_input=preprocess_canvas(decode_image(png)),
        prediction=Prediction.from_probabilities(probabilities / probabilities.sum()),
        label=label,
        model_version=f"cnn-{'ab'[seed % 2]}",
        created_at=START + timedelta(hours=hours, microseconds=seed),
    )


def seeded(url: str, outcomes=((1, 1), (2, 7), (3, 3), (4, 9), (5, 5))) -> SqlSubmissionRepository:
    """A migrated database holding one submission an hour, seed i with (label, predicted) = outcomes[i]."""
    engine = create_sql_engine(url)
    upgrade_database(engine)
    repo = SqlSubmissionRepository(engine)
    for seed, (label, predicted) in enumerate(outcomes):
        repo.add(app_submission(seed, label, predicted, hours=seed))
    return repo


def as_fields(submission: Submission) -> tuple:
    s = submission
    return (
        s.image_png, s.model_input.tobytes(), s.prediction, s.label, s.model_version, s.created_at, s.status,
        s.number_id, s.number_position, s.visitor, s.reviewed,
    )  # fmt: skip


def labels_csv(folder) -> list[dict[str, str]]:
    with (folder / "labels.csv").open(newline="") as f:
        return list(csv.DictReader(f))


def test_db_upgrade_migrates_once_and_says_where_the_schema_is(sqlite_url):
    first = digitrec("db", "upgrade", "--database-url", sqlite_url)
    again = digitrec("db", "upgrade", "--database-url", sqlite_url)

    assert first.exit_code == 0 and again.exit_code == 0
    assert "schema at revision 0009" in first.stdout
    assert "upgraded from empty to 0009" in first.stderr
    assert "upgraded" not in again.stderr and "schema at revision 0009" in again.stdout


def test_export_writes_pngs_and_a_labels_csv_that_evaluate_reads(sqlite_url, tmp_path, fake_classifier):
    seeded(sqlite_url)
    out = tmp_path / "export"

    result = digitrec("submissions", "export", out, "--database-url", sqlite_url)

    assert result.exit_code == 0, result.output
    assert "exported 5 submissions" in result.stdout
    rows = labels_csv(out)
    assert list(rows[0]) == COLUMNS
    assert [r["file"] for r in rows] == [f"{i:08d}.png" for i in range(1, 6)]
    assert (out / rows[1]["file"]).read_bytes() == drawing(1)
    assert (rows[1]["label"], rows[1]["predicted"], rows[1]["model_version"]) == ("2", "7", "cnn-b")
    assert datetime.fromisoformat(rows[1]["created_at"]) == START + timedelta(hours=1, microseconds=1)
    assert json.loads(rows[1]["probabilities"])[7] == pytest.approx(0.82 / 1.0)
    items, problems = read_labelled_folder(out)
    assert ([item.label for item in items], problems) == ([1, 2, 3, 4, 5], [])

    container = Container()
    container.classifier.override(fake_classifier)
    evaluated = digitrec("evaluate", out, container=container)
    assert evaluated.exit_code == 0, evaluated.output
    assert "5 images" in evaluated.stdout


def test_export_since_a_time_and_only_mismatches(sqlite_url, tmp_path):
    seeded(sqlite_url)

    export = ("submissions", "export", "--database-url", sqlite_url)
    since = digitrec(*export, tmp_path / "a", "--since", "2026-11-24T14:00")
    zoned = digitrec(*export, tmp_path / "b", "--since", "2026-11-24T15:00+01:00", "--only-mismatches")

    assert since.exit_code == 0 and zoned.exit_code == 0
    assert [r["label"] for r in labels_csv(tmp_path / "a")] == ["3", "4", "5"]
    assert [r["label"] for r in labels_csv(tmp_path / "b")] == ["4"]


def test_export_refuses_a_folder_that_already_holds_an_export_and_a_bad_date(sqlite_url, tmp_path):
    seeded(sqlite_url)
    assert digitrec("submissions", "export", tmp_path / "x", "--database-url", sqlite_url).exit_code == 0

    again = digitrec("submissions", "export", tmp_path / "x", "--database-url", sqlite_url)
    bad_date = digitrec("submissions", "export", tmp_path / "y", "--since", "last tuesday")

    assert again.exit_code == 1 and "already holds a labels.csv" in again.output
    assert bad_date.exit_code == 2 and "not an ISO 8601 date" in bad_date.output


def round_trip(source_url: str, target_url: str, tmp_path) -> None:
    """Export everything from source, import it into target, and check nothing changed on the way: reviews
    (a relabel, an exclusion) and the model's not-a-digit verdict included."""
    source = seeded(source_url)
    scribble = app_submission(9, 0, 0)
    source.add(replace(scribble, prediction=replace(scribble.prediction, is_digit=False)))
    source.add(replace(app_submission(11, 4, 4), number_id="visitor0-number0", number_position=0))
    source.add(replace(app_submission(12, 2, 2), number_id="visitor0-number0", number_position=1))
    source.add(replace(app_submission(13, 1, 7), visitor="0123456789abcdef"))
    reviews = SqlReviews(create_sql_engine(source_url))
    reviews.apply_review(2, Review(RELABEL, 7), "ann")
    reviews.apply_review(3, Review(EXCLUDE), "ann")
    assert digitrec("submissions", "export", tmp_path / "out", "--database-url", source_url).exit_code == 0

    imported = digitrec("submissions", "import", tmp_path / "out", "--database-url", target_url)
    again = digitrec("submissions", "import", tmp_path / "out", "--database-url", target_url)

    assert imported.exit_code == 0, imported.output
    assert "imported 9, skipped 0 already in the database, 0 unusable" in imported.stdout
    assert "imported 0, skipped 9 already in the database" in again.stdout
    target = SqlSubmissionRepository(create_sql_engine(target_url))
    copied, original = target.oldest_after(0, 10), source.oldest_after(0, 10)
    assert [as_fields(s) for s in copied] == [as_fields(s) for s in original]
    assert [(s.label, s.status, s.prediction.is_digit) for s in copied[1:3] + copied[5:6]] == [
        (7, "ok", True), (3, "excluded", True), (0, "ok", False)
    ]  # fmt: skip
    assert [(s.visitor, s.reviewed) for s in copied[1:4] + copied[-1:]] == [
        (None, True), (None, True), (None, False), ("0123456789abcdef", False)
    ]  # fmt: skip
    assert [(s.number_id, s.number_position) for s in copied[-3:-1]] == [
        ("visitor0-number0", 0),
        ("visitor0-number0", 1),
    ]
    assert target.stats() == source.stats()


def test_a_folder_without_a_visitor_column_is_the_operators_own_and_a_bad_visitor_is_refused(
    sqlite_url, tmp_path
):
    folder = tmp_path / "in"
    folder.mkdir()
    for seed in range(3):
        (folder / f"{seed}.png").write_bytes(drawing(seed))
    old_columns = COLUMNS[:6]
    with (folder / "labels.csv").open("w", newline="") as f:
        csv.writer(f).writerows([old_columns, ("0.png", "3", "3", "cnn-a", "2026-11-24T12:00:00", "")])
    assert digitrec("submissions", "import", folder, "--database-url", sqlite_url).exit_code == 0
    (own,) = SqlSubmissionRepository(create_sql_engine(sqlite_url)).oldest_after(0, 10)
    assert (own.visitor, own.reviewed) == (None, True)

    (folder / "labels.csv").unlink()
    with (folder / "labels.csv").open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow([*old_columns, "visitor", "reviewed"])
        writer.writerow(["1.png", "4", "4", "cnn-a", "2026-11-24T12:00:00", "", "writer 7; DROP", "false"])
        writer.writerow(["2.png", "5", "5", "cnn-a", "2026-11-24T12:00:00", "", "writer07", "maybe"])
    result = digitrec("submissions", "import", folder, "--database-url", sqlite_url)
    assert (
        result.exit_code == 1 and "imported 0, skipped 0 already in the database, 2 unusable" in result.stdout
    )
    assert "skipped line 2:" in result.stderr and "a visitor key is 1-64 letters" in result.stderr
    assert "reviewed 'maybe' must be true or false" in result.stderr
    assert SqlSubmissionRepository(create_sql_engine(sqlite_url)).count() == 1  # nothing stored was lost


def test_sqlite_to_sqlite_round_trip_is_lossless(tmp_path):
    round_trip(f"sqlite:///{tmp_path / 'a.db'}", f"sqlite:///{tmp_path / 'b.db'}", tmp_path)


def test_sqlite_to_postgresql_round_trip_is_lossless(sqlite_url, postgres_url, tmp_path):
    round_trip(sqlite_url, postgres_url, tmp_path)


def test_import_reports_unusable_rows_and_imports_the_rest(sqlite_url, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "good.png").write_bytes(drawing(1))
    (folder / "same.png").write_bytes(drawing(1))  # the same drawing twice in a folder: both are kept
    (folder / "blank.png").write_bytes(encode_png(np.zeros((280, 280), np.uint8)))
    (folder / "photo.jpg").write_bytes(b"\xff\xd8\xff\xe0 not a png")
    (folder / "broken.png").write_bytes(drawing(2)[:100])
    rows = [
        ("good.png", "3", "3", "cnn-a", "2026-11-24T12:00:00+00:00", ""),
        ("same.png", "3", "8", "cnn-a", "2026-11-24T12:00:00", "[0, 0, 0, 0.5, 0, 0, 0, 0, 0.5, 0]"),
        ("blank.png", "1", "1", "cnn-a", "2026-11-24T12:00:00", ""),
        ("photo.jpg", "1", "1", "cnn-a", "2026-11-24T12:00:00", ""),
        ("broken.png", "1", "1", "cnn-a", "2026-11-24T12:00:00", ""),
        ("missing.png", "1", "1", "cnn-a", "2026-11-24T12:00:00", ""),
        ("../a.db", "1", "1", "cnn-a", "2026-11-24T12:00:00", ""),
        ("good.png", "12", "1", "cnn-a", "2026-11-24T12:00:00", ""),
        ("good.png", "x", "1", "cnn-a", "2026-11-24T12:00:00", ""),
        ("good.png", "1", "1", "cnn-a", "yesterday", ""),
        ("good.png", "1", "1", "cnn-a", "2026-11-24T12:00:00", "[0.5, 0.5]"),
        ("good.png", "1", "1", "", "2026-11-24T12:00:00", ""),
    ]
    with (folder / "labels.csv").open("w", newline="") as f:
        csv.writer(f).writerows([COLUMNS, *rows])

    result = digitrec("submissions", "import", folder, "--database-url", sqlite_url)

    assert result.exit_code == 1
    assert "imported 2, skipped 0 already in the database, 10 unusable" in result.stdout
    problems = [line for line in result.stderr.splitlines() if line.startswith("skipped")]
    expected = [
        (4, "the drawing is empty"), (5, "not a PNG"), (6, "not a readable image"), (7, "file not found"),
        (8, "inside"), (9, "digit 0-9, got 12"), (10, "must be digits"), (11, "not an ISO 8601 time"),
        (12, "expected 10 probabilities, got 2"), (13, "model version must be 1-100 characters"),
    ]  # fmt: skip
    assert len(problems) == len(expected)
    for line, (number, message) in zip(problems, expected, strict=True):
        assert line.startswith(f"skipped line {number}:") and message in line, line
    stored = SqlSubmissionRepository(create_sql_engine(sqlite_url)).oldest_after(0, 10)
    assert stored[0].prediction.probabilities == (0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)  # one-hot
    assert stored[1].prediction.probabilities[8] == 0.5 and stored[1].created_at == START
    np.testing.assert_array_equal(stored[0].model_input, preprocess_canvas(decode_image(drawing(1))))


def test_imports_of_one_folder_running_at_once_store_it_once(sqlite_url, postgres_url, tmp_path):
    source = seeded(sqlite_url, outcomes=[(i % 10, (i * 3) % 10) for i in range(120)])
    source.add(app_submission(7, 1, 1))  # the same drawing as seed 7: both copies must arrive, no more
    assert digitrec("submissions", "export", tmp_path / "out", "--database-url", sqlite_url).exit_code == 0
    importer = "from digitrec.entrypoints.cli import main; main()"
    command = [sys.executable, "-c", importer, "submissions", "import", str(tmp_path / "out")]

    runs = [
        subprocess.Popen([*command, "--database-url", postgres_url], stdout=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    outputs = [run.communicate(timeout=300)[0] for run in runs]

    assert [run.returncode for run in runs] == [0, 0, 0], outputs
    imported = [int(out.split("imported ")[1].split(",")[0]) for out in outputs]
    assert sum(imported) == 121
    target = SqlSubmissionRepository(create_sql_engine(postgres_url))
    assert sorted(s.image_png for s in target.oldest_after(0, 200)) == sorted(
        s.image_png for s in source.oldest_after(0, 200)
    )


def test_import_needs_the_export_columns(sqlite_url, tmp_path):
    (tmp_path / "labels.csv").write_text("file,label\nx.png,1\n")

    result = digitrec("submissions", "import", tmp_path, "--database-url", sqlite_url)
    missing = digitrec("submissions", "import", tmp_path / "nowhere", "--database-url", sqlite_url)

    assert result.exit_code == 1 and "lacks the columns created_at, model_version, predicted" in result.output
    assert missing.exit_code == 1 and "cannot read" in missing.output


def test_stats_prints_counts_and_accuracy_per_version_and_digit(sqlite_url):
    seeded(sqlite_url, outcomes=[(1, 1), (1, 7), (7, 7), (4, 4), (1, 1), (7, 1)])

    table = digitrec("submissions", "stats", "--database-url", sqlite_url)
    numbers = json.loads(digitrec("submissions", "stats", "--json", "--database-url", sqlite_url).stdout)

    assert table.exit_code == 0
    assert "6 submissions, live accuracy 66.67%" in table.stdout
    assert [line.split() for line in table.stdout.splitlines() if line.startswith("cnn-")] == [
        ["cnn-a", "3", "100.00%"],
        ["cnn-b", "3", "33.33%"],
    ]
    assert numbers["n"] == 6 and numbers["per_digit"][1] == {"digit": 1, "n": 3, "accuracy": 2 / 3}
    assert numbers["per_version"][1] == {"version": "cnn-b", "n": 3, "correct": 1, "accuracy": 1 / 3}
    assert numbers["confusion"][1][7] == 1 and numbers["confusion"][7][1] == 1


def test_an_unreachable_database_is_a_clear_error_not_a_traceback():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"postgresql+psycopg://digitrec:s3cret@127.0.0.1:{port}/digitrec"

    result = digitrec("submissions", "stats", "--database-url", url)

    assert result.exit_code == 1
    assert f"Error: submission database postgresql+psycopg://digitrec:***@127.0.0.1:{port}/digitrec is" in (
        result.output
    )
    assert "Traceback" not in result.output and "s3cret" not in result.output


@pytest.mark.parametrize("given_by", ["flag", "environment"])
def test_database_timeout_bounds_the_wait_for_a_locked_database(sqlite_url, given_by):
    upgrade_database(create_sql_engine(sqlite_url))
    other_process = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"), isolation_level=None)
    other_process.execute("BEGIN IMMEDIATE")  # holds the write lock that `db upgrade` needs
    args = ["db", "upgrade", "--database-url", sqlite_url]
    env = {"DIGITREC_DATABASE_TIMEOUT": "0.3"} if given_by == "environment" else {}
    if given_by == "flag":
        args += ["--database-timeout", "0.3"]
    try:
        started = time.monotonic()
        result = CliRunner().invoke(cli, args, obj=Container(), env=env)
        waited = time.monotonic() - started
    finally:
        other_process.execute("ROLLBACK")
        other_process.close()

    assert result.exit_code == 1
    assert "is unavailable: database is locked" in result.output
    assert waited < 5  # not the default 15 s


def test_a_database_timeout_that_is_not_a_positive_number_of_seconds_is_refused(sqlite_url):
    result = digitrec("submissions", "stats", "--database-url", sqlite_url, "--database-timeout", "0")

    assert result.exit_code == 2
    assert "--database-timeout" in result.output


def test_help_lists_the_storage_commands_without_loading_sqlalchemy_or_alembic():
    probe = (
        "import sys\nfrom digitrec.entrypoints.cli import cli\n"
        "try:\n    cli(['--help'])\nexcept SystemExit:\n"
        "    print('loaded:', sorted({'sqlalchemy', 'alembic', 'psycopg'} & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert "submissions" in out and "db " in out
    assert "loaded: []" in out
