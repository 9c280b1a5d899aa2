"""Reading launch items from CSV and JSON Lines files, with row/line numbers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from pneumatic_async.bulk.items import LaunchItem
from pneumatic_async.bulk.sources import SourceFormatError, read_csv, read_items, read_jsonl
from pneumatic_async.errors import FieldProblem, InvalidValuesError


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_csv_rows_become_items_numbered_like_a_spreadsheet(tmp_path: Path) -> None:
    path = write(
        tmp_path / "launches.csv",
        "\ufeffclient,amount,_name,_is_urgent,_due_date\n"
        "ACME,12,First,yes,1900000000\n"
        ",,,,\n"  # a blank row is skipped (row 3)
        'Globex,,"Second, with comma",false,2030-01-02T03:04:05Z\n'
        '"Multi\nline",7,,,\n',
    )
    source = read_csv(path)
    assert source.unit == "row"
    assert source.rows == [2, 4, 5]
    assert source.items == [
        LaunchItem(
            {"client": "ACME", "amount": "12"}, name="First", is_urgent=True, due_date=1.9e9
        ),
        LaunchItem(
            {"client": "Globex"},  # the empty amount cell is "not given"
            name="Second, with comma",
            is_urgent=False,
            due_date=datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC),
        ),
        LaunchItem({"client": "Multi\nline", "amount": "7"}),
    ]
    assert source.problems == []
    assert source.describe(FieldProblem(field="amount", message="bad", item=1)) == (
        f"{path} row 4, field 'amount': bad"
    )
    assert source.row_of(2) == 5


def test_csv_reserved_values_that_cannot_be_read_are_problems(tmp_path: Path) -> None:
    path = write(
        tmp_path / "bad.csv",
        "client,_is_urgent,_due_date\nA,maybe,\nB,,tomorrow\nC,,2030-01-01T00:00:00\nD,1,\n",
    )
    source = read_items(path)
    assert [(p.item, p.field) for p in source.problems] == [
        (0, "_is_urgent"),
        (1, "_due_date"),
        (2, "_due_date"),
    ]
    assert "time zone" in source.problems[2].message
    assert source.items[3] == LaunchItem({"client": "D"}, is_urgent=True)
    with pytest.raises(InvalidValuesError) as caught:
        source.raise_for_problems()
    described = [source.describe(p) for p in caught.value.problems]
    assert described[0] == f"{path} row 2, field '_is_urgent': expected true or false, got 'maybe'"
    assert described[1].startswith(f"{path} row 3, field '_due_date'")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty file"),
        ("a,,b\n1,2,3\n", "column 2 has no name"),
        ("a,a\n1,2\n", "appears twice"),
        ("a,b\n1,2,3\n", "row 2: 3 cells"),
        ('a,b\n"1,2\n', "row"),
    ],
)
def test_malformed_csv_files_are_refused(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path / "x.csv", text)
    with pytest.raises(SourceFormatError, match=message):
        read_csv(path)


def test_tsv_files_use_tabs(tmp_path: Path) -> None:
    source = read_items(write(tmp_path / "x.tsv", "client\tnote\nA\tb, c\n"))
    assert source.items == [LaunchItem({"client": "A", "note": "b, c"})]


def test_jsonl_lines_keep_json_types(tmp_path: Path) -> None:
    path = write(
        tmp_path / "launches.jsonl",
        '{"client": "A", "tags": ["x", "y"], "when": 1900000000, "_name": "N"}\n'
        "\n"
        '{"client": "B", "_is_urgent": true, "_due_date": "2030-01-01T00:00:00+02:00"}\n',
    )
    source = read_items(path)
    assert source.unit == "line"
    assert source.rows == [1, 3]
    assert source.items == [
        LaunchItem({"client": "A", "tags": ["x", "y"], "when": 1900000000}, name="N"),
        LaunchItem(
            {"client": "B"},
            is_urgent=True,
            due_date=datetime(2030, 1, 1, tzinfo=timezone(timedelta(hours=2))),
        ),
    ]
    assert source.describe(FieldProblem(field="client", message="m", item=1)) == (
        f"{path} line 3, field 'client': m"
    )


def test_jsonl_bad_lines_are_refused_with_line_numbers(tmp_path: Path) -> None:
    path = write(tmp_path / "x.jsonl", '{"a": 1}\nnot json\n[1, 2]\n{"_name": 5}\n')
    expected = r"line 2: not JSON.*line 3: expected a JSON object"
    with pytest.raises(SourceFormatError, match=expected):
        read_jsonl(path)


def test_jsonl_wrong_reserved_types_are_problems(tmp_path: Path) -> None:
    path = write(tmp_path / "x.jsonl", '{"_name": 5, "_is_urgent": "no", "_due_date": false}\n')
    source = read_jsonl(path)
    assert [p.field for p in source.problems] == ["_name", "_due_date"]
    assert source.items == [LaunchItem({}, is_urgent=False)]


def test_unknown_extensions_are_refused(tmp_path: Path) -> None:
    with pytest.raises(SourceFormatError, match="unknown item file type"):
        read_items(write(tmp_path / "x.xlsx", ""))


def test_csv_cells_are_converted_by_field_type_when_specs_are_given(tmp_path: Path) -> None:
    from datetime import date

    from pneumatic_async.values import FieldSpec

    specs = [
        FieldSpec(api_name="tags", name="Tags", type="checkbox", is_required=False),
        FieldSpec(api_name="start", name="Start", type="date", is_required=False),
        FieldSpec(api_name="owner", name="Owner", type="user", is_required=False),
        FieldSpec(api_name="note", name="Note", type="string", is_required=False),
    ]
    path = write(
        tmp_path / "typed.csv",
        "tags,start,owner,note\n"
        'A; B ;,2026-12-01,17,"[not, a list]"\n'
        '"[""X"", ""Y, Z""]",2026-12-01T10:00:00+02:00,ann@example.com,1\n'
        "[broken,1900000000,,\n"
        "C,next week,,\n",
    )
    source = read_csv(path, specs=specs)
    kickoffs = [item.kickoff for item in source.items]
    assert kickoffs[0] == {
        "tags": ["A", "B"],
        "start": date(2026, 12, 1),
        "owner": 17,
        "note": "[not, a list]",  # only checkbox cells are parsed as lists
    }
    assert kickoffs[1] == {
        "tags": ["X", "Y, Z"],
        "start": datetime(2026, 12, 1, 10, tzinfo=timezone(timedelta(hours=2))),
        "owner": "ann@example.com",
        "note": "1",
    }
    # what cannot be converted is left for the encoder to report
    assert kickoffs[2] == {"tags": "[broken", "start": "1900000000"}
    assert kickoffs[3] == {"tags": ["C"], "start": "next week"}
    # without specs every cell stays a string
    assert read_csv(path).items[0].kickoff["tags"] == "A; B ;"
