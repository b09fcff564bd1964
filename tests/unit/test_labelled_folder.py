import pytest

from digitrec.adapters.files.labelled_folder import read_labelled_folder
from digitrec.domain.types.errors import DatasetNotFound


def test_rows_are_read_with_their_line_numbers_and_bad_ones_reported(tmp_path):
    (tmp_path / "a.png").write_bytes(b"x")
    (tmp_path / "labels.csv").write_text(
        "label,file,extra\n3,a.png,z\n10,a.png,z\n,a.png,\n4,../outside.png,\n5,,\n6,gone.png,\n"
    )
    items, problems = read_labelled_folder(tmp_path)
    assert [(i.line, i.name, i.label) for i in items] == [(2, "a.png", 3)]
    assert [(p.line, p.message) for p in problems] == [
        (3, "label '10' is not a digit 0-9"),
        (4, "label '' is not a digit 0-9"),
        (5, f"file must name an image inside {tmp_path}"),
        (6, f"file must name an image inside {tmp_path}"),
        (7, "file not found"),
    ]


@pytest.mark.parametrize("content", [None, "name,digit\na.png,3\n", ""])
def test_a_folder_without_a_usable_labels_csv_is_refused(tmp_path, content):
    if content is not None:
        (tmp_path / "labels.csv").write_text(content)
    with pytest.raises(DatasetNotFound, match="file"):
        read_labelled_folder(tmp_path)


def test_a_none_label_in_any_case_marks_an_image_that_is_not_a_digit(tmp_path):
    (tmp_path / "a.png").write_bytes(b"x")
    (tmp_path / "labels.csv").write_text(
        "file,label\na.png,none\na.png,None\na.png, NONE \na.png,7\na.png,nan\n"
    )
    items, problems = read_labelled_folder(tmp_path)
    assert [(i.line, i.label) for i in items] == [(2, None), (3, None), (4, None), (5, 7)]
    assert [(p.line, p.message) for p in problems] == [(6, "label 'nan' is not a digit 0-9")]
